// The dashboard's use of each operation's result: a field the schema
// renames or retypes breaks `tsc --noEmit` here before it breaks a page.
import { execute } from "./client";
import type { SlaStatus, TicketStatus } from "./gql/graphql";
import { CreditsQuery, MonthReportsQuery, ResponseRatesQuery, SlaReportQuery, TicketDetailQuery, TicketsPageQuery, ViewerQuery } from "./operations";

/** Formats integer minor units (cents) of a currency. */
export function formatMoney(money: { cents: number; currency: string }): string {
  return `${(money.cents / 100).toFixed(2)} ${money.currency}`;
}

const statusLabel: Record<SlaStatus, string> = {
  ON_TRACK: "On track",
  AT_RISK: "At risk",
  BREACHED: "Breached",
  MET: "Met",
};

const ticketStatusLabel: Record<TicketStatus, string> = { OPEN: "Open", RESOLVED: "Resolved" };

/** The rows of the ticket page. */
export async function ticketRows(endpoint: string, token: string, after?: string): Promise<string[]> {
  const { data } = await execute(endpoint, token, TicketsPageQuery, {
    first: 50,
    after: after ?? null,
    orderBy: { field: "DUE_AT", direction: "ASC" },
  });
  return (data?.tickets.edges ?? []).map(({ node }) => {
    const due = node.sla?.currentDueAt ?? node.sla?.firstResponseDueAt ?? "";
    const sla = node.slaStatus ? ` · ${statusLabel[node.slaStatus]}` : "";
    return `${node.subject} · ${ticketStatusLabel[node.status]} · ${node.priority ? "priority" : "ordinary"} · ${due}${sla}`;
  });
}

/** A ticket's conversation and clocks. */
export async function ticketDetail(endpoint: string, token: string, id: string): Promise<string[]> {
  const { data } = await execute(endpoint, token, TicketDetailQuery, { id, messages: 50, after: null });
  const ticket = data?.ticket;
  if (!ticket) {
    return [];
  }
  const messages = ticket.messagesConnection.edges.map(({ node: m }) => `${m.receivedAt} ${m.direction} ${m.fromName || m.from}: ${m.subject}${m.machineSent ? " (automatic)" : ""}`);
  const clocks = ticket.clocks.map((c) => `${c.kind} ${c.startedAt}–${c.stoppedAt ?? "running"} ${c.businessSeconds ?? 0}s of ${c.targetSeconds}s${c.met === false ? " missed" : ""}`);
  return [...messages, ...clocks];
}

/** The credit balance and the ledger's lines. */
export async function credits(endpoint: string, token: string): Promise<{ balance: string; lines: string[] }> {
  const { data } = await execute(endpoint, token, CreditsQuery, { first: 20, after: null });
  return {
    balance: data ? formatMoney(data.creditBalance) : "",
    lines: (data?.creditLedger.edges ?? []).map(({ node }) => `${node.createdAt} ${node.kind} ${formatMoney(node.amount)} ${node.reason ?? node.month ?? ""}`),
  };
}

/** One line per subscription month: its status and credit. */
export async function monthReports(endpoint: string, token: string): Promise<string[]> {
  const { data } = await execute(endpoint, token, MonthReportsQuery, { months: 12 });
  const subscriptions = data?.viewer.customer?.supportSubscriptions ?? [];
  return subscriptions.flatMap((s) =>
    s.slaHistory.map((r) => {
      const credit = r.credit ? ` credited ${formatMoney(r.credit.amount)}` : "";
      return `${s.domains.join(", ")} ${r.month}: ${statusLabel[r.status]}${r.final ? "" : " (so far)"}, ${r.firstResponsesMet}/${r.firstResponses} first responses on time${credit}`;
    }),
  );
}

/** One month's status, or null for a month without a guarantee. */
export async function monthStatus(endpoint: string, token: string, subscriptionId: string, month: string): Promise<SlaStatus | null> {
  const { data } = await execute(endpoint, token, SlaReportQuery, { subscriptionId, month });
  return data?.slaReport?.status ?? null;
}

/** The signed-in customer's name and balance. */
export async function viewer(endpoint: string, token: string): Promise<string> {
  const { data } = await execute(endpoint, token, ViewerQuery, {});
  const customer = data?.viewer.customer;
  return customer ? `${customer.name} (${formatMoney(customer.creditBalance)})` : (data?.viewer.subject ?? "");
}

/** The response-rates page: one line per month, then the range's totals. */
export async function responseRates(endpoint: string, token: string, from: string, to: string): Promise<string[]> {
  const { data } = await execute(endpoint, token, ResponseRatesQuery, { from, to });
  const summary = data?.viewer.customer?.slaSummary;
  if (!summary) {
    return [];
  }
  const minutes = (s: number | null | undefined) => (s == null ? "–" : `${Math.round(s / 60)} min`);
  return [
    ...summary.months.map(
      (m) =>
        `${m.month} ${statusLabel[m.status]}${m.final ? "" : " (so far)"}: ${m.firstResponsesMet}/${m.firstResponses} first responses on time, ` +
        `${m.firstResponsesRunning ?? 0} waiting, average ${minutes(m.averageFirstResponseSeconds)}, follow-ups ${minutes(m.averageFollowUpResponseSeconds)}, credit ${formatMoney(m.creditEarned)}`,
    ),
    `${summary.from}–${summary.to}: ${summary.monthsMet} months met, ${summary.monthsBreached} breached, ${formatMoney(summary.creditEarned)} credited`,
  ];
}
