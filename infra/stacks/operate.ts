// What every deployment shape adds to operate it without watching it: the monitoring (dashboard, uptime
// check, alerts when an e-mail is set) and, when configured, the billing budget. Each shape passes what it
// knows (its URL, its logs query, what to do when it is down) and exports the links this returns.
import type * as pulumi from '@pulumi/pulumi';
import { Budget } from '../components/budget.js';
import { Monitoring } from '../components/monitoring.js';
import type { DeployConfig } from '../config.js';
import type { MonitoredShape } from '../monitoring/queries.js';
import { HEALTH_PATH } from '../readiness/wait.js';

export interface OperateArgs {
  shape: MonitoredShape;
  stackSlug: string;
  url: pulumi.Input<string>;
  logsQuery: pulumi.Input<string>;
  downHint: pulumi.Input<string>;
  labels: Record<string, string>;
  cloudRunService?: pulumi.Input<string>;
}

export interface OperateOutputs {
  dashboardUrl: pulumi.Output<string>;
  logsUrl: pulumi.Output<string>;
}

export function deployOperations(
  config: DeployConfig,
  args: OperateArgs,
  opts: pulumi.ComponentResourceOptions,
): OperateOutputs {
  const monitoring = new Monitoring(
    'modelship-monitoring',
    {
      project: config.project,
      shape: args.shape,
      stackName: args.stackSlug,
      url: args.url,
      healthPath: HEALTH_PATH,
      ...(config.basicAuth && { basicAuth: config.basicAuth }),
      gpu: config.gpu !== undefined,
      ...(args.cloudRunService && { cloudRunService: args.cloudRunService }),
      ...(config.alertEmail && { alertEmail: config.alertEmail }),
      downHint: args.downHint,
      logsQuery: args.logsQuery,
      labels: args.labels,
    },
    opts,
  );
  if (config.budget) {
    new Budget(
      'modelship-budget',
      {
        project: config.project,
        billingAccount: config.budget.billingAccount,
        monthlyAmount: config.budget.monthlyAmount,
        displayName: `modelship ${args.stackSlug} (${config.project})`,
        notificationChannels: monitoring.channel ? [monitoring.channel.id] : [],
      },
      opts,
    );
  }
  return { dashboardUrl: monitoring.dashboardUrl, logsUrl: monitoring.logsUrl };
}
