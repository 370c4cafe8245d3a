// A monthly Cloud Billing budget for the project, with e-mails at 50, 90 and 100 % of the amount (actual
// spend). The billing account's admins and users get them by default; the alert e-mail's channel too, when
// it is set. A budget only warns: it never stops anything (the idle auto-stop does, on the VM shape).
//
// Creating it needs billing.budgets.create on the billing account (roles/billing.costsManager, or Billing
// Account Administrator), which project owners often lack. The Budget API is called with the project as the
// quota project: with user credentials, it refuses requests that name none.
import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import { childOptions } from './options.js';

export const BUDGET_THRESHOLDS = [0.5, 0.9, 1.0] as const;

export interface BudgetArgs {
  project: string;
  /** Billing account ID, XXXXXX-XXXXXX-XXXXXX. */
  billingAccount: string;
  /** The billing account's currency per calendar month, to the cent (12.5). */
  monthlyAmount: number;
  displayName: string;
  /** Monitoring notification channels (IDs) that get the threshold e-mails too. */
  notificationChannels: pulumi.Input<string>[];
}

/** An amount as google.type.Money: whole units as a string, and the cents as nanos (10^-9) when there are any. */
export function moneyOf(amount: number): { units: string; nanos?: number } {
  const cents = Math.round(amount * 100);
  const nanos = (cents % 100) * 10_000_000;
  return { units: String(Math.floor(cents / 100)), ...(nanos > 0 && { nanos }) };
}

export class Budget extends pulumi.ComponentResource {
  readonly budget: gcp.billing.Budget;

  constructor(name: string, args: BudgetArgs, opts?: pulumi.ComponentResourceOptions) {
    super('modelship:infra:Budget', name, {}, opts);
    const api = new gcp.projects.Service(
      `${name}-api`,
      { project: args.project, service: 'billingbudgets.googleapis.com', disableOnDestroy: false },
      childOptions(this, opts),
    );
    const provider = new gcp.Provider(
      `${name}-provider`,
      { project: args.project, billingProject: args.project, userProjectOverride: true },
      { parent: this },
    );
    // Budgets filter projects by number, not by ID.
    const number = gcp.organizations.getProjectOutput({ projectId: args.project }, { parent: this }).number;
    this.budget = new gcp.billing.Budget(
      `${name}-budget`,
      {
        billingAccount: args.billingAccount,
        displayName: args.displayName,
        budgetFilter: {
          projects: [pulumi.interpolate`projects/${number}`],
          calendarPeriod: 'MONTH',
          creditTypesTreatment: 'INCLUDE_ALL_CREDITS',
        },
        // no currency code: the billing account's own currency
        amount: { specifiedAmount: moneyOf(args.monthlyAmount) },
        thresholdRules: BUDGET_THRESHOLDS.map((thresholdPercent) => ({
          thresholdPercent,
          spendBasis: 'CURRENT_SPEND',
        })),
        allUpdatesRule: {
          monitoringNotificationChannels: args.notificationChannels,
          disableDefaultIamRecipients: false,
        },
      },
      childOptions(this, opts, { provider, dependsOn: [api] }),
    );
    this.registerOutputs({ budget: this.budget.name });
  }
}
