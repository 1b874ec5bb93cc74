// Budget types (issue 16): field names follow the API contract (/api/v1/budgets); money and
// percentages are decimal strings.

export type ThresholdKind = 'actual' | 'forecast';

export interface Threshold {
  percent: string;
  kind: ThresholdKind;
}

export interface BudgetStatus {
  month: string;
  actual: string;
  forecast: string;
  percentActual: string;
  percentForecast: string;
  asOf: string | null;
  problem?: string | null;
}

export interface BudgetAlert {
  id: string;
  month: string;
  kind: 'actual' | 'forecast' | 'pace';
  percent: string;
  amount: string;
  budgetAmount: string;
  asOf: string;
  sentAt: string;
}

export interface Budget {
  id: string;
  organizationId: string;
  alias: string;
  subscriptionId: string | null;
  name: string;
  amount: string;
  currency: string;
  thresholds: Threshold[];
  pace: { enabled: boolean; tolerancePercent: string };
  recipients: string[];
  createdAt: string;
  updatedAt: string;
  status: BudgetStatus | null;
  alerts: BudgetAlert[];
}
