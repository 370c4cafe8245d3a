import type * as pulumi from '@pulumi/pulumi';

/**
 * Options for a component's children: parented to it, and waiting for what the component waits for.
 * Pulumi does not pass a component's `dependsOn` down to its children, and here it matters: nothing may be
 * created before the project's APIs are enabled.
 */
export function childOptions(
  parent: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
  extra: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  const inherited = opts?.dependsOn ? [opts.dependsOn].flat() : [];
  const own = extra.dependsOn ? [extra.dependsOn].flat() : [];
  return { ...extra, parent, dependsOn: [...inherited, ...own] as pulumi.Input<pulumi.Resource>[] };
}
