/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * A calendar month, "YYYY-MM" (e.g. "2026-11"), counted in the SLA time zone of the subscription it belongs
   * to. On the wire it is a plain JSON string; an input that is not a month from 0001-01 to 9999-12 in that form
   * is refused with BAD_USER_INPUT.
   */
  Month: { input: string; output: string; }
  /**
   * An instant in RFC 3339 form with a zone offset, e.g. "2026-11-26T15:04:05Z". The server writes UTC with as
   * many fractional digits as the instant has; it accepts any offset, within 2000-01-01 and 2100-01-01 (UTC).
   */
  Time: { input: string; output: string; }
};

/** A new customer. */
export type CreateCustomerInput = {
  /** The company name (1 to 200 characters). */
  name: Scalars['String']['input'];
  /** The customer's Stripe customer id, when it has one already. */
  stripeCustomerId?: InputMaybe<Scalars['String']['input']>;
};

/** A support subscription to record for a customer. */
export type CreateSupportSubscriptionInput = {
  /** The customer that pays for it; it must hold a paid, valid license. */
  customerId: Scalars['ID']['input'];
  /** The domains it covers (not webmail domains nor the vendor's support domain). */
  domains: Array<Scalars['String']['input']>;
  /** An early-access subscription (may be opted out of with a pro-rata refund); default false. */
  earlyAccess?: InputMaybe<Scalars['Boolean']['input']>;
  /** When it starts; omitted: at the license's next renewal. May lie in the past to import a running subscription. */
  startsAt?: InputMaybe<Scalars['Time']['input']>;
};

/** One append-only entry of a customer's credit ledger; amounts are signed (credits positive, debits negative). */
export type CreditEntry = Node & {
  /** The signed amount: positive for credits, negative for debits. */
  amount: Money;
  /** When it was written. */
  createdAt: Scalars['Time']['output'];
  /** The entry's globally unique, opaque id. */
  id: Scalars['ID']['output'];
  /** Why it was written. */
  kind: CreditKind;
  /** For EARNED: the month it was earned for (YYYY-MM, the subscription's SLA time zone). */
  month?: Maybe<Scalars['Month']['output']>;
  /** The reason staff gave, for ADJUSTMENT entries. */
  reason?: Maybe<Scalars['String']['output']>;
  /** What it settles: subscription-month:<id>:<YYYY-MM>, invoice:<id>, charge:<id> or adjustment:<id>. */
  reference: Scalars['String']['output'];
};

/** A page of a customer's credit ledger, newest first. */
export type CreditEntryConnection = {
  /** The entries of the page, in order. */
  edges: Array<CreditEntryEdge>;
  /** Where the page lies in the ledger. */
  pageInfo: PageInfo;
  /** The number of the customer's entries, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** A ledger entry in a connection, with its cursor. */
export type CreditEntryEdge = {
  /** The opaque position of the entry in the ledger. */
  cursor: Scalars['String']['output'];
  /** The entry. */
  node: CreditEntry;
};

/** Why a credit ledger entry was written. */
export type CreditKind =
  /** A manual change by staff, with a reason. */
  | 'ADJUSTMENT'
  /** Spent on a renewal invoice. */
  | 'APPLIED'
  /** A missed month's fee, credited. */
  | 'EARNED'
  /** Paid back to the customer. */
  | 'REFUNDED';

/** The ISO 4217 currency of an amount. On the wire it is the plain code string, e.g. "USD". */
export type Currency =
  /** Australian dollar. */
  | 'AUD'
  /** Canadian dollar. */
  | 'CAD'
  /** Swiss franc. */
  | 'CHF'
  /** Danish krone. */
  | 'DKK'
  /** Euro. */
  | 'EUR'
  /** Pound sterling. */
  | 'GBP'
  /** Japanese yen (no minor unit: cents are whole yen). */
  | 'JPY'
  /** Norwegian krone. */
  | 'NOK'
  /** Swedish krona. */
  | 'SEK'
  /** United States dollar: the currency of the list price (800 USD a month). */
  | 'USD';

/** A customer of the vendor: a company holding licenses and support subscriptions. Customer users see only their own. */
export type Customer = Node & {
  /** When the account was closed, if it was. */
  closedAt?: Maybe<Scalars['Time']['output']>;
  /** When the customer was recorded. */
  createdAt: Scalars['Time']['output'];
  /** The credit balance: the sum of the ledger's entries. */
  creditBalance: Money;
  /** The customer's globally unique, opaque id. */
  id: Scalars['ID']['output'];
  /** Every license the customer holds, in the order they were recorded. */
  licenses: Array<License>;
  /** The company name. */
  name: Scalars['String']['output'];
  /**
   * Credits applied, refunds and credit notes through Stripe, newest first. Every one at once: prefer settlementsConnection.
   * @deprecated Use settlementsConnection, which pages.
   */
  settlements: Array<Settlement>;
  /** Credits applied, refunds and credit notes through Stripe, newest first, in pages. */
  settlementsConnection: SettlementConnection;
  /** The customer's SLA record of one month over all its subscriptions; null when no subscription carried the guarantee in it. */
  slaMonth?: Maybe<CustomerSlaMonth>;
  /** The customer's SLA record over the months from..to (both included, at most 36 months). */
  slaSummary: CustomerSlaSummary;
  /** The customer's Stripe customer id (staff only; null for customer users). */
  stripeCustomerId?: Maybe<Scalars['String']['output']>;
  /** Newest first. */
  supportSubscriptions: Array<SupportSubscription>;
  /** The customer's tickets, newest first unless orderBy says otherwise; scoped like `tickets`. */
  tickets: TicketConnection;
};


/** A customer of the vendor: a company holding licenses and support subscriptions. Customer users see only their own. */
export type CustomerSettlementsConnectionArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


/** A customer of the vendor: a company holding licenses and support subscriptions. Customer users see only their own. */
export type CustomerSlaMonthArgs = {
  month: Scalars['Month']['input'];
};


/** A customer of the vendor: a company holding licenses and support subscriptions. Customer users see only their own. */
export type CustomerSlaSummaryArgs = {
  from: Scalars['Month']['input'];
  to: Scalars['Month']['input'];
};


/** A customer of the vendor: a company holding licenses and support subscriptions. Customer users see only their own. */
export type CustomerTicketsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<TicketFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  orderBy?: InputMaybe<TicketOrder>;
};

/** A page of customers, ordered by name then id. */
export type CustomerConnection = {
  /** The customers of the page, in order. */
  edges: Array<CustomerEdge>;
  /** Where the page lies in the list. */
  pageInfo: PageInfo;
  /** The number of customers that match, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** A customer in a connection, with its cursor. */
export type CustomerEdge = {
  /** The opaque position of the customer in the list. */
  cursor: Scalars['String']['output'];
  /** The customer. */
  node: Customer;
};

/**
 * One month of a customer's SLA record over all its subscriptions that carried the guarantee in it: the sums
 * of their month reports (each in its subscription's SLA time zone). Durations are business seconds; the
 * averages are weighted by the number of responses they average. Visible to the customer's own users and staff.
 */
export type CustomerSlaMonth = {
  /** Average business seconds of the answered first responses; null when none was answered or a report lacks it. */
  averageFirstResponseSeconds?: Maybe<Scalars['Int']['output']>;
  /** Average business seconds of the follow-ups (running ones with their time so far); null without follow-ups. */
  averageFollowUpResponseSeconds?: Maybe<Scalars['Int']['output']>;
  /** Credit the month earned (EARNED ledger entries for it), zero when none. */
  creditEarned: Money;
  /** Every subscription's report of the month is final (past its cutoff). */
  final: Scalars['Boolean']['output'];
  /** First-response clocks started in the month (answered + running). */
  firstResponses: Scalars['Int']['output'];
  /** First responses stopped by a reply or a resolution; null when a report of the month was frozen before this count was recorded. */
  firstResponsesAnswered?: Maybe<Scalars['Int']['output']>;
  /** First responses that took at most their target. */
  firstResponsesMet: Scalars['Int']['output'];
  /** First responses that took more than their target, or reached it without an answer. */
  firstResponsesMissed: Scalars['Int']['output'];
  /** First responses without an answer (now, or at the cutoff when final); null as for firstResponsesAnswered. */
  firstResponsesRunning?: Maybe<Scalars['Int']['output']>;
  /** Follow-up clocks started in the month. */
  followUps: Scalars['Int']['output'];
  /** Every subscription met the guarantee in the month (final), or holds it so far (live). */
  met: Scalars['Boolean']['output'];
  /** YYYY-MM, in each subscription's SLA time zone. */
  month: Scalars['Month']['output'];
  /** Each subscription's report of the month, in the order of Customer.supportSubscriptions. */
  reports: Array<SlaMonthReport>;
  /** The worst status of the subscriptions' reports: BREACHED, then AT_RISK, then ON_TRACK, then MET. */
  status: SlaStatus;
  /** Priority tickets opened in the month while a subscription was active. */
  ticketsReceived: Scalars['Int']['output'];
};

/**
 * A customer's SLA record over a range of months (its response rates): each month with a guarantee, and the
 * totals. Durations are business seconds; averages are weighted by the number of responses they average.
 */
export type CustomerSlaSummary = {
  /** Average business seconds of the answered first responses; null when none was answered or a report lacks it. */
  averageFirstResponseSeconds?: Maybe<Scalars['Int']['output']>;
  /** Average business seconds of the follow-ups; null without follow-ups. */
  averageFollowUpResponseSeconds?: Maybe<Scalars['Int']['output']>;
  /** Credit the range's months earned. */
  creditEarned: Money;
  /** First-response clocks started in the range. */
  firstResponses: Scalars['Int']['output'];
  /** First responses that took at most their target. */
  firstResponsesMet: Scalars['Int']['output'];
  /** First responses that took more than their target, or reached it without an answer. */
  firstResponsesMissed: Scalars['Int']['output'];
  /** Follow-up clocks started in the range. */
  followUps: Scalars['Int']['output'];
  /** The first month of the range (YYYY-MM). */
  from: Scalars['Month']['output'];
  /** The months of the range in which a subscription carried the guarantee, oldest first. */
  months: Array<CustomerSlaMonth>;
  /** Months of the range whose status is BREACHED. */
  monthsBreached: Scalars['Int']['output'];
  /** Months of the range whose status is MET. */
  monthsMet: Scalars['Int']['output'];
  /** Priority tickets opened in the range. */
  ticketsReceived: Scalars['Int']['output'];
  /** The last month of the range (YYYY-MM), included. */
  to: Scalars['Month']['output'];
};

/** A product license of a customer; a paid, valid license is what makes a support subscription possible. */
export type License = Node & {
  /** The license's globally unique, opaque id. */
  id: Scalars['ID']['output'];
  /** The license key as sold. */
  key: Scalars['String']['output'];
  /** Whether the license was paid for (an unpaid one never makes tickets priority). */
  paid: Scalars['Boolean']['output'];
  /** Paid and valid now. */
  valid: Scalars['Boolean']['output'];
  /** The first instant the license is valid. */
  validFrom: Scalars['Time']['output'];
  /** The instant the license stops being valid. */
  validUntil: Scalars['Time']['output'];
};

/**
 * One way mail reaches the service, with what it has delivered: an IMAP folder (`imap:<account>/<folder>`) or a
 * mail provider's inbound webhook (`webhook:mailgun`, `webhook:ses`, `webhook:postmark`). Staff only.
 */
export type MailSource = {
  /** For the last message taken: seconds from its received time to its ingestion (wall-clock seconds, not business time). */
  lagSeconds?: Maybe<Scalars['Int']['output']>;
  /** When it last delivered a message, taken or refused; null before the first. */
  lastIntakeAt?: Maybe<Scalars['Time']['output']>;
  /** The received time of the newest message taken; null before the first. */
  lastMessageAt?: Maybe<Scalars['Time']['output']>;
  /** When it last refused a message; null when it never did. */
  lastRefusedAt?: Maybe<Scalars['Time']['output']>;
  /** The source's name, as in the logs and the metrics' `source` label. */
  name: Scalars['String']['output'];
  /** Its last refusals, newest first (at most 20). */
  recentRefusals: Array<MailSourceRefusal>;
  /** Messages it delivered that were refused (unparseable, too large) and skipped. */
  refused: Scalars['Int']['output'];
  /** Messages ingested from it, duplicates included (a message seen again is taken once more, stored once). */
  taken: Scalars['Int']['output'];
};

/** A message a mail source delivered and the service refused. */
export type MailSourceRefusal = {
  /** Why it was refused, as the parser or the size check said. */
  reason: Scalars['String']['output'];
  /** Where the message is: `FOLDER/UIDVALIDITY/UID` for IMAP, the provider's id for a webhook; empty when unknown. */
  ref: Scalars['String']['output'];
  /** When it was refused. */
  refusedAt: Scalars['Time']['output'];
};

/** Who wrote a message. */
export type MessageDirection =
  /** From anyone but the vendor's support domain. */
  | 'CUSTOMER'
  /** From the vendor's support domain. */
  | 'SUPPORT';

/** An amount in integer minor units (cents) of a currency. */
export type Money = {
  /** The amount in minor units of the currency (cents), signed; it always fits a 32-bit Int. */
  cents: Scalars['Int']['output'];
  /** The currency's ISO 4217 code. */
  currency: Currency;
};

/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type Mutation = {
  /** A manual credit (positive) or debit (negative); the balance cannot go below zero. */
  adjustCredit: CreditEntry;
  /** Ends a subscription now (sales, admin): its current month is judged on its covered part. */
  cancelSupportSubscription: SupportSubscription;
  /** Ends the customer's subscriptions and refunds the remaining credit balance against past charges, newest first. */
  closeAccount: Customer;
  /** Records a new customer (sales, admin). */
  createCustomer: Customer;
  /** Records a support subscription and, with Stripe configured, its Stripe subscription (sales, admin). */
  createSupportSubscription: SupportSubscription;
  /**
   * Finalises a month whose cutoff (end of month plus one business hour) has passed, idempotently, and
   * credits the month's fee when the guarantee was missed. Admin only. The background jobs do this for every
   * month except imported history (months whose cutoff passed before the subscription was recorded here),
   * which staff evaluate here once its mail is in. BAD_USER_INPUT for a month the subscription was not active
   * in or that has not begun; CONFLICT before the cutoff.
   */
  evaluateSlaMonth: SlaMonthReport;
  /** Ends an early-access subscription at once and refunds the unused part of the year pro rata by day (the owning customer, sales or admin). */
  optOutEarlyAccess: SupportSubscription;
  /** Records a license for a customer (sales, admin). */
  recordLicense: License;
  /** Reopens a resolved ticket (support, admin). */
  reopenTicket: Ticket;
  /** Resolves a ticket (support, admin): stops its running clock, which counts as the response. */
  resolveTicket: Ticket;
  /** Replaces the domains a subscription covers from now on (sales, admin); tickets opened before keep their priority. */
  setSubscriptionDomains: SupportSubscription;
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationAdjustCreditArgs = {
  amountCents: Scalars['Int']['input'];
  customerId: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationCancelSupportSubscriptionArgs = {
  id: Scalars['ID']['input'];
  reason?: InputMaybe<Scalars['String']['input']>;
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationCloseAccountArgs = {
  customerId: Scalars['ID']['input'];
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationCreateCustomerArgs = {
  input: CreateCustomerInput;
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationCreateSupportSubscriptionArgs = {
  input: CreateSupportSubscriptionInput;
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationEvaluateSlaMonthArgs = {
  month: Scalars['String']['input'];
  subscriptionId: Scalars['ID']['input'];
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationOptOutEarlyAccessArgs = {
  subscriptionId: Scalars['ID']['input'];
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationRecordLicenseArgs = {
  input: RecordLicenseInput;
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationReopenTicketArgs = {
  id: Scalars['ID']['input'];
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationResolveTicketArgs = {
  id: Scalars['ID']['input'];
};


/** The changes; each is checked against the caller's roles and changes nothing when it fails. */
export type MutationSetSubscriptionDomainsArgs = {
  domains: Array<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
};

/**
 * An object with a globally unique id, fetchable with `Query.node` and `Query.nodes` (Relay's global object
 * identification). Ids are opaque strings, unique across every type; a caller may fetch only what the typed
 * lookups (`customer`, `ticket`, …) would show it.
 */
export type Node = {
  /** The object's globally unique, opaque id. */
  id: Scalars['ID']['output'];
};

/** A sort direction. */
export type OrderDirection =
  /** Smallest (earliest) first. */
  | 'ASC'
  /** Largest (latest) first. */
  | 'DESC';

/**
 * Where a page of a connection lies in the whole list (Relay cursor connections). Cursors are opaque strings
 * made by the server; pass one back as `after` (with `first`) or `before` (with `last`).
 */
export type PageInfo = {
  /** The cursor of the page's last item; null for an empty page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** More items follow the page. Paging backwards (last/before), true when before was given: items follow it. */
  hasNextPage: Scalars['Boolean']['output'];
  /** More items come before the page. Paging forwards (first/after), true when after was given: items precede it. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** The cursor of the page's first item; null for an empty page. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type Query = {
  /** A customer's credit balance. A customer user may omit customerId: its own; staff must name one. */
  creditBalance: Money;
  /** A customer's credit ledger, newest first (by creation time, then id). A customer user may omit customerId: its own; staff must name one. */
  creditLedger: CreditEntryConnection;
  /** A customer by id; null when it does not exist or the caller may not see it (a customer user sees its own only). */
  customer?: Maybe<Customer>;
  /** Customers by name; search matches a name or a covered domain. A customer user sees only its own. */
  customers: CustomerConnection;
  /** Every mail source with its intake statistics, by name. Roles: support, admin. */
  mailSources: Array<MailSource>;
  /**
   * The object with the given global id, of any type implementing Node, or null when none exists or the caller
   * may not see it (another customer's object is null for a customer user; staff see all).
   */
  node?: Maybe<Node>;
  /**
   * The objects with the given global ids, in their order, null where none exists or the caller may not see it.
   * At most 100 ids (the largest page size) may be asked for at once: more is BAD_USER_INPUT.
   */
  nodes: Array<Maybe<Node>>;
  /**
   * Open priority tickets, the soonest due first; tickets waiting on the customer last (support, admin).
   * @deprecated Use priorityQueueConnection, which pages.
   */
  priorityQueue: Array<Ticket>;
  /** Open priority tickets, the soonest due first; tickets waiting on the customer (no running clock) last, oldest first (support, admin). */
  priorityQueueConnection: TicketConnection;
  /** month is YYYY-MM in the subscription's SLA time zone. Null for a month without a guarantee: before the subscription started, after it ended, or not yet begun. */
  slaReport?: Maybe<SlaMonthReport>;
  /** A subscription by id; null when it does not exist or the caller may not see it. */
  supportSubscription?: Maybe<SupportSubscription>;
  /** A ticket by id; null when it does not exist or the caller may not see it. */
  ticket?: Maybe<Ticket>;
  /** Tickets the caller may see (a customer user: its own), newest first unless orderBy says otherwise. */
  tickets: TicketConnection;
  /** Who is calling. Any authenticated caller. */
  viewer: Viewer;
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryCreditBalanceArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryCreditLedgerArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  customerId?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryCustomerArgs = {
  id: Scalars['ID']['input'];
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryCustomersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryPriorityQueueArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryPriorityQueueConnectionArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QuerySlaReportArgs = {
  month: Scalars['String']['input'];
  subscriptionId: Scalars['ID']['input'];
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QuerySupportSubscriptionArgs = {
  id: Scalars['ID']['input'];
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryTicketArgs = {
  id: Scalars['ID']['input'];
};


/**
 * The reads. Every caller must be authenticated; a customer user reads only its own customer's objects (another
 * customer's is null, or NOT_FOUND where the field cannot be null); staff (support, sales, admin) read all.
 */
export type QueryTicketsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<TicketFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  orderBy?: InputMaybe<TicketOrder>;
};

/** A license to record for a customer. */
export type RecordLicenseInput = {
  /** The customer that holds it. */
  customerId: Scalars['ID']['input'];
  /** The license key as sold. */
  key: Scalars['String']['input'];
  /** Whether it was paid for. */
  paid: Scalars['Boolean']['input'];
  /** The first instant it is valid. */
  validFrom: Scalars['Time']['input'];
  /** The instant it stops being valid (after validFrom). */
  validUntil: Scalars['Time']['input'];
};

/** The roles a token's `roles` claim may carry. */
export type Role =
  /** Vendor administrators: everything sales and support may do, plus month evaluation and credit adjustments. */
  | 'ADMIN'
  /** A user of one customer (the token's `customer_id`): reads that customer's objects only. */
  | 'CUSTOMER'
  /** Vendor staff who sell: read everything, manage customers, licenses and subscriptions. */
  | 'SALES'
  /** Vendor staff who answer tickets: read everything, resolve and reopen tickets, see the priority queue and alerts. */
  | 'SUPPORT';

/** Money moving through Stripe on the customer's behalf, and whether it has gone through. */
export type Settlement = Node & {
  /** The amount moved, positive. */
  amount: Money;
  /** How many times Stripe was called for it. */
  attempts: Scalars['Int']['output'];
  /** When it was recorded. */
  createdAt: Scalars['Time']['output'];
  /** The settlement's globally unique, opaque id. */
  id: Scalars['ID']['output'];
  /** What it does in Stripe. */
  kind: SettlementKind;
  /** Stripe's reason for the last failure; staff only. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** Whether Stripe has confirmed it. */
  status: SettlementStatus;
  /** The Stripe object that settled it (invoice item, refund, credit note); staff only. */
  stripeId?: Maybe<Scalars['String']['output']>;
  /** The Stripe invoice or charge it applies to. */
  target?: Maybe<Scalars['String']['output']>;
  /** When its status last changed. */
  updatedAt: Scalars['Time']['output'];
};

/** A page of a customer's settlements, newest first. */
export type SettlementConnection = {
  /** The settlements of the page, in order. */
  edges: Array<SettlementEdge>;
  /** Where the page lies in the list. */
  pageInfo: PageInfo;
  /** The number of the customer's settlements, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** A settlement in a connection, with its cursor. */
export type SettlementEdge = {
  /** The opaque position of the settlement in the list. */
  cursor: Scalars['String']['output'];
  /** The settlement. */
  node: Settlement;
};

/** What a settlement does in Stripe. */
export type SettlementKind =
  /** A credit note refunding part of the year's invoice (early-access opt-out). */
  | 'CREDIT_NOTE'
  /** Credit applied to a renewal invoice. */
  | 'INVOICE_CREDIT'
  /** A refund on a past charge (closed account). */
  | 'REFUND';

/** Whether Stripe has confirmed a settlement. */
export type SettlementStatus =
  /** Stripe refused it for good; staff must look. */
  | 'FAILED'
  /** Not confirmed by Stripe yet; retried. */
  | 'PENDING'
  /** Confirmed by Stripe. */
  | 'SETTLED';

/** A running clock that came close to its target or passed it. */
export type SlaAlert = {
  /** When the alert was raised. */
  at: Scalars['Time']['output'];
  /** The clock's due time. */
  dueAt: Scalars['Time']['output'];
  /** At risk or breached. */
  level: SlaAlertLevel;
  /** The ticket whose clock it is. */
  ticket: Ticket;
};

/** How close a running clock is to missing its target. */
export type SlaAlertLevel =
  /** Under 15 business minutes left. */
  | 'AT_RISK'
  /** Past due. */
  | 'BREACHED';

/** One wait of the customer for support, measured in business time. */
export type SlaClock = {
  /** Business seconds it ran, once stopped. */
  businessSeconds?: Maybe<Scalars['Int']['output']>;
  /** When its target is reached, counting support hours only. */
  dueAt: Scalars['Time']['output'];
  /** First response or follow-up. */
  kind: SlaClockKind;
  /** Stopped within its target; null while it runs. */
  met?: Maybe<Scalars['Boolean']['output']>;
  /** The month (YYYY-MM, SLA time zone) it counts in: the month it started in. */
  month: Scalars['Month']['output'];
  /** When the customer's message started it. */
  startedAt: Scalars['Time']['output'];
  /** When a reply or a resolution stopped it, if one has. */
  stoppedAt?: Maybe<Scalars['Time']['output']>;
  /** reply or resolution. */
  stoppedBy?: Maybe<Scalars['String']['output']>;
  /** Business seconds it may run. */
  targetSeconds: Scalars['Int']['output'];
};

/** Which wait an SLA clock measures. */
export type SlaClockKind =
  /** The wait for the first support reply to a ticket (1 business hour by default). */
  | 'FIRST_RESPONSE'
  /** A later wait, after the customer wrote again; a month's follow-ups are judged by their average. */
  | 'FOLLOW_UP';

/**
 * A subscription's SLA month, for a month the subscription was active in. Durations are business seconds
 * (time inside support hours). Counts are of the SLA clocks that started in the month while the subscription
 * was active, and of its priority tickets opened then: a partly covered month is judged on its covered part.
 * A live report (before the cutoff) measures running clocks up to now; a final one up to the cutoff.
 */
export type SlaMonthReport = {
  /** Average business seconds of the answered first responses, rounded to the second; null when none was answered (or on a month frozen before it was recorded). */
  averageFirstResponseSeconds?: Maybe<Scalars['Int']['output']>;
  /** Average business seconds of the follow-ups, running ones counted with their time so far (up to the cutoff in a final report); null without follow-ups. The month needs it at most the follow-up target (1 business hour by default). */
  averageFollowUpResponseSeconds?: Maybe<Scalars['Int']['output']>;
  /** The credit this month earned, once final and missed. */
  credit?: Maybe<CreditEntry>;
  /** Past the cutoff (end of month plus one business hour): the verdict is MET or BREACHED and will not change. */
  final: Scalars['Boolean']['output'];
  /** First-response clocks started in the month, running ones included (answered + running). */
  firstResponses: Scalars['Int']['output'];
  /** First responses stopped by a support reply or a resolution, by now (by the cutoff in a final report). Null on a month frozen before this count was recorded (before December 2026). */
  firstResponsesAnswered?: Maybe<Scalars['Int']['output']>;
  /** Answered first responses that a resolution stopped without a reply: resolving a ticket counts as its response. Null on a month frozen before this count was recorded. */
  firstResponsesByResolution?: Maybe<Scalars['Int']['output']>;
  /** First responses that took at most their target (1 business hour by default). In a final report, also those still running below their target at the cutoff. */
  firstResponsesMet: Scalars['Int']['output'];
  /** First responses that took more than their target, or reached it without an answer (an unanswered request is never on time). Final: firstResponsesMet + firstResponsesMissed = firstResponses. */
  firstResponsesMissed: Scalars['Int']['output'];
  /** First responses without an answer now (at the cutoff in a final report). Null on a month frozen before this count was recorded. */
  firstResponsesRunning?: Maybe<Scalars['Int']['output']>;
  /** Follow-up clocks (a customer waiting again after a response) started in the month, running ones included. */
  followUps: Scalars['Int']['output'];
  /** Final: the guarantee was met. Live: it holds on what is known so far. */
  met: Scalars['Boolean']['output'];
  /** YYYY-MM, in the subscription's SLA time zone. */
  month: Scalars['Month']['output'];
  /** Final: MET or BREACHED. Live: BREACHED once a first response missed its target; AT_RISK while a running clock has under 15 business minutes left or is past its target, or the follow-up average so far is above target; else ON_TRACK. */
  status: SlaStatus;
  /** Priority tickets opened in the month while the subscription was active. */
  ticketsReceived: Scalars['Int']['output'];
};

/**
 * An SLA verdict. For a month report: live reports are ON_TRACK, AT_RISK or BREACHED, final ones MET or
 * BREACHED. For a ticket: BREACHED, else AT_RISK or ON_TRACK while a clock runs, else MET.
 */
export type SlaStatus =
  /** A running clock has under 15 business minutes left (for a month also: the follow-up average so far is above target). */
  | 'AT_RISK'
  /** A first response missed its target, or a running clock reached its due time without an answer. */
  | 'BREACHED'
  /** Final, or for a ticket with no running clock: every target was met. */
  | 'MET'
  /** Nothing missed so far, and no running clock has under 15 business minutes left. */
  | 'ON_TRACK';

/** Live streams over the websocket (graphql-transport-ws at /graphql, the token in connection_init), scoped like Query. */
export type Subscription = {
  /** Running clocks close to breaching or breached (support, admin). */
  slaAlerts: SlaAlert;
  /** Tickets as they change. A customer user gets its own (customerId may be omitted); staff may name a customer or get all. */
  ticketUpdated: Ticket;
};


/** Live streams over the websocket (graphql-transport-ws at /graphql, the token in connection_init), scoped like Query. */
export type SubscriptionTicketUpdatedArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
};

/** One change of a subscription's status. */
export type SubscriptionStatusChange = {
  /** When the change took effect. */
  at: Scalars['Time']['output'];
  /** The status before; null for the first one. */
  from?: Maybe<SupportSubscriptionStatus>;
  /** Why, when a reason was given (e.g. the cancellation reason). */
  reason?: Maybe<Scalars['String']['output']>;
  /** The status after. */
  to: SupportSubscriptionStatus;
};

/** A customer's paid support plan: the domains it covers get priority tickets with SLA clocks while it is active. */
export type SupportSubscription = Node & {
  /** When it became active, if it has. */
  activatedAt?: Maybe<Scalars['Time']['output']>;
  /** The yearly invoice amount: twelve monthly fees. */
  annualFee: Money;
  /** The reason given when it was canceled, if any. */
  cancelReason?: Maybe<Scalars['String']['output']>;
  /** When it was canceled, if it was. */
  canceledAt?: Maybe<Scalars['Time']['output']>;
  /** When the subscription was recorded. */
  createdAt: Scalars['Time']['output'];
  /** End of the billing period Stripe last invoiced, if any. */
  currentPeriodEnd?: Maybe<Scalars['Time']['output']>;
  /** Start of the billing period Stripe last invoiced, if any. */
  currentPeriodStart?: Maybe<Scalars['Time']['output']>;
  /** The customer that pays for it. */
  customer: Customer;
  /** The domains covered, sorted; for an ended subscription, the set it ended with. */
  domains: Array<Scalars['String']['output']>;
  /** An early-access subscription, which the customer may opt out of with a pro-rata refund. */
  earlyAccess: Scalars['Boolean']['output'];
  /** Business seconds allowed for each first response. */
  firstResponseTargetSeconds: Scalars['Int']['output'];
  /** Business seconds the follow-up responses of a month may average. */
  followUpTargetSeconds: Scalars['Int']['output'];
  /** The subscription's globally unique, opaque id. */
  id: Scalars['ID']['output'];
  /** The fee per month. */
  monthlyFee: Money;
  /** Monthly SLA reports of the months the subscription was active in, newest first: from the current month (or the month it ended in) back to the month it started in. */
  slaHistory: Array<SlaMonthReport>;
  /** The IANA time zone support hours and months are counted in. */
  slaTimezone: Scalars['String']['output'];
  /** When the subscription starts (or started) to carry the guarantee. */
  startsAt: Scalars['Time']['output'];
  /** Its status now (a pending subscription whose start has passed reads ACTIVE). */
  status: SupportSubscriptionStatus;
  /** Every change of status and when it took effect, oldest first. */
  statusHistory: Array<SubscriptionStatusChange>;
  /** The subscription's tickets, newest first unless orderBy says otherwise; scoped like `tickets`. */
  tickets: TicketConnection;
};


/** A customer's paid support plan: the domains it covers get priority tickets with SLA clocks while it is active. */
export type SupportSubscriptionSlaHistoryArgs = {
  months?: InputMaybe<Scalars['Int']['input']>;
};


/** A customer's paid support plan: the domains it covers get priority tickets with SLA clocks while it is active. */
export type SupportSubscriptionTicketsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<TicketFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  orderBy?: InputMaybe<TicketOrder>;
};

/** A support subscription's state in its life cycle. */
export type SupportSubscriptionStatus =
  /** Running: its covered domains open priority tickets and its months carry the SLA guarantee. */
  | 'ACTIVE'
  /** Ended by a cancellation, an early-access opt-out or a closed account. */
  | 'CANCELED'
  /** Ended because its license or billing period ran out. */
  | 'EXPIRED'
  /** Recorded, not started yet (it starts at startsAt, usually the license's next renewal). */
  | 'PENDING';

/** A support conversation: emails threaded together and, when priority, its SLA clocks. */
export type Ticket = Node & {
  /** Every SLA clock, first response first. */
  clocks: Array<SlaClock>;
  /** When the opening message was received. */
  createdAt: Scalars['Time']['output'];
  /** The customer whose covered domain opened the ticket, if any. */
  customer?: Maybe<Customer>;
  /** The ticket's globally unique, opaque id. */
  id: Scalars['ID']['output'];
  /** When its latest message was received (its last activity). */
  lastMessageAt: Scalars['Time']['output'];
  /**
   * Oldest first. Every message at once: prefer messagesConnection, which pages.
   * @deprecated Use messagesConnection, which pages.
   */
  messages: Array<TicketMessage>;
  /** The ticket's messages, oldest first (by receipt time, then id), in pages. */
  messagesConnection: TicketMessageConnection;
  /** Decided once, at the opening message: it came from a covered domain while the subscription was active and the license valid. */
  priority: Scalars['Boolean']['output'];
  /** The address of whoever wrote the opening message. */
  requesterEmail: Scalars['String']['output'];
  /** When support resolved it, while it stays resolved. */
  resolvedAt?: Maybe<Scalars['Time']['output']>;
  /** The SLA state; null for ordinary tickets and before a clock has started. */
  sla?: Maybe<TicketSla>;
  /**
   * The ticket's SLA verdict now, by the same rules as `sla`: BREACHED when `sla.breached`; else, while a clock
   * runs, AT_RISK with under 15 business minutes left, ON_TRACK otherwise; else MET. Null for ordinary tickets
   * and before a clock has started.
   */
  slaStatus?: Maybe<SlaStatus>;
  /** Open or resolved. */
  status: TicketStatus;
  /** The subject of the opening message. */
  subject: Scalars['String']['output'];
  /** The subscription that covered the opening message's domain, if any. */
  subscription?: Maybe<SupportSubscription>;
};


/** A support conversation: emails threaded together and, when priority, its SLA clocks. */
export type TicketMessagesConnectionArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
};

/** A page of tickets. */
export type TicketConnection = {
  /** The tickets of the page, in order. */
  edges: Array<TicketEdge>;
  /** Where the page lies in the list. */
  pageInfo: PageInfo;
  /** The number of tickets that match, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** A ticket in a connection, with its cursor. */
export type TicketEdge = {
  /** The opaque position of the ticket in the list (valid for the same order only). */
  cursor: Scalars['String']['output'];
  /** The ticket. */
  node: Ticket;
};

/** Narrows a ticket list; every field given must hold (AND). */
export type TicketFilter = {
  /** true: tickets whose slaStatus is AT_RISK now; false: priority tickets with another SLA state. */
  atRisk?: InputMaybe<Scalars['Boolean']['input']>;
  /** true: tickets whose `sla.breached` holds now; false: priority tickets with an SLA state that is not breached. */
  breached?: InputMaybe<Scalars['Boolean']['input']>;
  /** Tickets of this customer only (a customer user may name only its own; another yields no tickets). */
  customerId?: InputMaybe<Scalars['ID']['input']>;
  /** Opened at or after. */
  from?: InputMaybe<Scalars['Time']['input']>;
  /** With a last message (last activity) at or after. */
  lastMessageFrom?: InputMaybe<Scalars['Time']['input']>;
  /** With a last message (last activity) before. */
  lastMessageTo?: InputMaybe<Scalars['Time']['input']>;
  /** Priority (true) or ordinary (false) tickets only. */
  priority?: InputMaybe<Scalars['Boolean']['input']>;
  /** true: tickets with an SLA clock running now (waiting for support); false: priority tickets with none running. */
  running?: InputMaybe<Scalars['Boolean']['input']>;
  /**
   * Text contained in the subject or the requester's address, case-insensitive as the database's lower() folds
   * letters (on PostgreSQL every letter its locale folds, on SQLite ASCII letters); `%`, `_` and `\` match
   * themselves. Trimmed; at most 256 characters, no control characters.
   */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Tickets whose slaStatus is one of these now (ordinary tickets have none and never match). */
  slaStatus?: InputMaybe<Array<SlaStatus>>;
  /** Open or resolved tickets only. */
  status?: InputMaybe<TicketStatus>;
  /** Tickets of this subscription only. */
  subscriptionId?: InputMaybe<Scalars['ID']['input']>;
  /** Opened before. */
  to?: InputMaybe<Scalars['Time']['input']>;
};

/** One email of a ticket. */
export type TicketMessage = Node & {
  /** The number of attachments (their content is not stored). */
  attachments: Scalars['Int']['output'];
  /** The plain-text body. */
  body: Scalars['String']['output'];
  /** A delivery failure report. */
  bounce: Scalars['Boolean']['output'];
  /** Whether the customer or support wrote it. */
  direction: MessageDirection;
  /** The sender's address. */
  from: Scalars['String']['output'];
  /** The sender's display name, or empty. */
  fromName: Scalars['String']['output'];
  /** The message's globally unique, opaque id. */
  id: Scalars['ID']['output'];
  /** Sent by a machine (auto-reply, acknowledgement robot, bounce): it starts and stops no clock. */
  machineSent: Scalars['Boolean']['output'];
  /** The RFC 5322 Message-ID (or one derived from the content when the sender set none). */
  messageId: Scalars['String']['output'];
  /** When the vendor's mail system received it: the time SLA clocks use. */
  receivedAt: Scalars['Time']['output'];
  /** The Date: header the sender wrote; shown, never trusted. */
  sentAt?: Maybe<Scalars['Time']['output']>;
  /** The Subject: header. */
  subject: Scalars['String']['output'];
  /** The To: addresses. */
  to: Array<Scalars['String']['output']>;
};

/** A page of a ticket's messages, oldest first. */
export type TicketMessageConnection = {
  /** The messages of the page, in order. */
  edges: Array<TicketMessageEdge>;
  /** Where the page lies in the list. */
  pageInfo: PageInfo;
  /** The number of the ticket's messages, over all pages. */
  totalCount: Scalars['Int']['output'];
};

/** A message in a connection, with its cursor. */
export type TicketMessageEdge = {
  /** The opaque position of the message in the ticket. */
  cursor: Scalars['String']['output'];
  /** The message. */
  node: TicketMessage;
};

/** How to sort a ticket list. */
export type TicketOrder = {
  /** Which way. */
  direction?: OrderDirection;
  /** What to sort by. */
  field?: TicketOrderField;
};

/** What a ticket list is sorted by; ties are broken by id, in the same direction. */
export type TicketOrderField =
  /** When the opening message was received (createdAt). */
  | 'CREATED_AT'
  /** The running clock's due time (sla.currentDueAt); tickets without a running clock come last in either direction. */
  | 'DUE_AT'
  /** The last activity: when the latest message was received (lastMessageAt). */
  | 'LAST_MESSAGE_AT';

/** A priority ticket's live SLA state. */
export type TicketSla = {
  /** The first response missed its target, or the running clock is past due. */
  breached: Scalars['Boolean']['output'];
  /** Business seconds the running clock has left; negative once overdue. */
  businessSecondsLeft?: Maybe<Scalars['Int']['output']>;
  /** Due time of the running clock, if one runs. */
  currentDueAt?: Maybe<Scalars['Time']['output']>;
  /** When the first response came (a support reply or a resolution), if it has. */
  firstRespondedAt?: Maybe<Scalars['Time']['output']>;
  /** Business seconds the first response took, once it came. */
  firstResponseBusinessSeconds?: Maybe<Scalars['Int']['output']>;
  /** When the first response is (or was) due. */
  firstResponseDueAt: Scalars['Time']['output'];
};

/** Whether a ticket waits for support or is done. */
export type TicketStatus =
  /** Waiting for support or for the customer; a new customer message reopens a resolved ticket. */
  | 'OPEN'
  /** Resolved by support; a resolution stops the running clock. */
  | 'RESOLVED';

/** Who is calling: the subject and roles of the verified token. Any authenticated caller may ask. */
export type Viewer = {
  /** The caller's own customer, for customer users; null for staff. */
  customer?: Maybe<Customer>;
  /** The roles of the token's `roles` claim. */
  roles: Array<Role>;
  /** The token's `sub` claim. */
  subject: Scalars['String']['output'];
};

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { subject: string, roles: Array<Role>, customer?: { id: string, name: string, creditBalance: { cents: number, currency: Currency } } | null } };

export type TicketsPageQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<TicketFilter>;
  orderBy?: InputMaybe<TicketOrder>;
}>;


export type TicketsPageQuery = { tickets: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ cursor: string, node: { id: string, subject: string, status: TicketStatus, priority: boolean, requesterEmail: string, createdAt: string, lastMessageAt: string, slaStatus?: SlaStatus | null, sla?: { firstResponseDueAt: string, firstRespondedAt?: string | null, firstResponseBusinessSeconds?: number | null, breached: boolean, currentDueAt?: string | null, businessSecondsLeft?: number | null } | null, subscription?: { id: string, status: SupportSubscriptionStatus, domains: Array<string> } | null } }> } };

export type TicketDetailQueryVariables = Exact<{
  id: Scalars['ID']['input'];
  messages?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type TicketDetailQuery = { ticket?: { id: string, subject: string, status: TicketStatus, priority: boolean, requesterEmail: string, createdAt: string, resolvedAt?: string | null, lastMessageAt: string, slaStatus?: SlaStatus | null, sla?: { firstResponseDueAt: string, firstRespondedAt?: string | null, firstResponseBusinessSeconds?: number | null, breached: boolean, currentDueAt?: string | null, businessSecondsLeft?: number | null } | null, messagesConnection: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ node: { id: string, direction: MessageDirection, machineSent: boolean, bounce: boolean, from: string, fromName: string, to: Array<string>, subject: string, receivedAt: string, sentAt?: string | null, attachments: number, body: string } }> }, clocks: Array<{ kind: SlaClockKind, month: string, startedAt: string, dueAt: string, targetSeconds: number, stoppedAt?: string | null, stoppedBy?: string | null, businessSeconds?: number | null, met?: boolean | null }> } | null };

export type CreditsQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type CreditsQuery = { creditBalance: { cents: number, currency: Currency }, creditLedger: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ cursor: string, node: { id: string, kind: CreditKind, reason?: string | null, month?: string | null, createdAt: string, amount: { cents: number, currency: Currency } } }> } };

export type MonthReportsQueryVariables = Exact<{
  months?: InputMaybe<Scalars['Int']['input']>;
}>;


export type MonthReportsQuery = { viewer: { customer?: { id: string, supportSubscriptions: Array<{ id: string, status: SupportSubscriptionStatus, domains: Array<string>, earlyAccess: boolean, currentPeriodStart?: string | null, currentPeriodEnd?: string | null, monthlyFee: { cents: number, currency: Currency }, slaHistory: Array<{ month: string, final: boolean, met: boolean, status: SlaStatus, ticketsReceived: number, firstResponses: number, firstResponsesMet: number, firstResponsesMissed: number, followUps: number, averageFollowUpResponseSeconds?: number | null, credit?: { id: string, createdAt: string, amount: { cents: number, currency: Currency } } | null }> }> } | null } };

export type ResponseRatesQueryVariables = Exact<{
  from: Scalars['Month']['input'];
  to: Scalars['Month']['input'];
}>;


export type ResponseRatesQuery = { viewer: { customer?: { id: string, name: string, slaSummary: { from: string, to: string, ticketsReceived: number, firstResponses: number, firstResponsesMet: number, firstResponsesMissed: number, averageFirstResponseSeconds?: number | null, averageFollowUpResponseSeconds?: number | null, monthsMet: number, monthsBreached: number, creditEarned: { cents: number, currency: Currency }, months: Array<{ month: string, final: boolean, status: SlaStatus, ticketsReceived: number, firstResponses: number, firstResponsesAnswered?: number | null, firstResponsesMet: number, firstResponsesMissed: number, firstResponsesRunning?: number | null, averageFirstResponseSeconds?: number | null, averageFollowUpResponseSeconds?: number | null, creditEarned: { cents: number, currency: Currency } }> } } | null } };

export type SlaReportQueryVariables = Exact<{
  subscriptionId: Scalars['ID']['input'];
  month: Scalars['String']['input'];
}>;


export type SlaReportQuery = { slaReport?: { month: string, final: boolean, met: boolean, status: SlaStatus, ticketsReceived: number, firstResponses: number, firstResponsesMet: number, firstResponsesMissed: number, followUps: number, averageFollowUpResponseSeconds?: number | null, credit?: { id: string, amount: { cents: number, currency: Currency } } | null } | null };

export type OptOutEarlyAccessMutationVariables = Exact<{
  subscriptionId: Scalars['ID']['input'];
}>;


export type OptOutEarlyAccessMutation = { optOutEarlyAccess: { id: string, status: SupportSubscriptionStatus, canceledAt?: string | null } };

export type TicketUpdatedSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type TicketUpdatedSubscription = { ticketUpdated: { id: string, status: TicketStatus, lastMessageAt: string, sla?: { breached: boolean, currentDueAt?: string | null, businessSecondsLeft?: number | null } | null } };


export const ViewerDocument = {"__meta__":{"hash":"cead3ce46a721dacdace4c319bdef4b3fe1cca4a5c98f1d33c4f6c205a4ffb2f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"roles"}},{"kind":"Field","name":{"kind":"Name","value":"customer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"creditBalance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ViewerQuery, ViewerQueryVariables>;
export const TicketsPageDocument = {"__meta__":{"hash":"7072dd9267e67f28a55df8b60e6795233ae039b97bc0c3cff2213aef6cc69c67"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TicketsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"TicketFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"TicketOrder"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tickets"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"requesterEmail"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastMessageAt"}},{"kind":"Field","name":{"kind":"Name","value":"slaStatus"}},{"kind":"Field","name":{"kind":"Name","value":"sla"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"firstResponseDueAt"}},{"kind":"Field","name":{"kind":"Name","value":"firstRespondedAt"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponseBusinessSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"breached"}},{"kind":"Field","name":{"kind":"Name","value":"currentDueAt"}},{"kind":"Field","name":{"kind":"Name","value":"businessSecondsLeft"}}]}},{"kind":"Field","name":{"kind":"Name","value":"subscription"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"domains"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<TicketsPageQuery, TicketsPageQueryVariables>;
export const TicketDetailDocument = {"__meta__":{"hash":"640e4003b762ddc8f79ff144fa16877047b78b26002fd2853a3a92a477df4c79"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"TicketDetail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"messages"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ticket"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"priority"}},{"kind":"Field","name":{"kind":"Name","value":"requesterEmail"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"resolvedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastMessageAt"}},{"kind":"Field","name":{"kind":"Name","value":"sla"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"firstResponseDueAt"}},{"kind":"Field","name":{"kind":"Name","value":"firstRespondedAt"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponseBusinessSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"breached"}},{"kind":"Field","name":{"kind":"Name","value":"currentDueAt"}},{"kind":"Field","name":{"kind":"Name","value":"businessSecondsLeft"}}]}},{"kind":"Field","name":{"kind":"Name","value":"slaStatus"}},{"kind":"Field","name":{"kind":"Name","value":"messagesConnection"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"messages"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"direction"}},{"kind":"Field","name":{"kind":"Name","value":"machineSent"}},{"kind":"Field","name":{"kind":"Name","value":"bounce"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"fromName"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"receivedAt"}},{"kind":"Field","name":{"kind":"Name","value":"sentAt"}},{"kind":"Field","name":{"kind":"Name","value":"attachments"}},{"kind":"Field","name":{"kind":"Name","value":"body"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"clocks"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"month"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"dueAt"}},{"kind":"Field","name":{"kind":"Name","value":"targetSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"stoppedAt"}},{"kind":"Field","name":{"kind":"Name","value":"stoppedBy"}},{"kind":"Field","name":{"kind":"Name","value":"businessSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"met"}}]}}]}}]}}]} as unknown as DocumentNode<TicketDetailQuery, TicketDetailQueryVariables>;
export const CreditsDocument = {"__meta__":{"hash":"d42655894d5bbb5e0c1805fbab0eb8b99b112b7c87430f1312e9326cc7083fde"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Credits"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"creditBalance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"creditLedger"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"amount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"reason"}},{"kind":"Field","name":{"kind":"Name","value":"month"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<CreditsQuery, CreditsQueryVariables>;
export const MonthReportsDocument = {"__meta__":{"hash":"5b4af711a39e52818baaea43ec553908ef5dd1c51fb7fb3b953a58be9bc72759"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MonthReports"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"months"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"supportSubscriptions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"domains"}},{"kind":"Field","name":{"kind":"Name","value":"earlyAccess"}},{"kind":"Field","name":{"kind":"Name","value":"monthlyFee"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"currentPeriodStart"}},{"kind":"Field","name":{"kind":"Name","value":"currentPeriodEnd"}},{"kind":"Field","name":{"kind":"Name","value":"slaHistory"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"months"},"value":{"kind":"Variable","name":{"kind":"Name","value":"months"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"month"}},{"kind":"Field","name":{"kind":"Name","value":"final"}},{"kind":"Field","name":{"kind":"Name","value":"met"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"ticketsReceived"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponses"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMet"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMissed"}},{"kind":"Field","name":{"kind":"Name","value":"followUps"}},{"kind":"Field","name":{"kind":"Name","value":"averageFollowUpResponseSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"credit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"amount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<MonthReportsQuery, MonthReportsQueryVariables>;
export const ResponseRatesDocument = {"__meta__":{"hash":"24bee6c3838b77d61554312d040d53a0347feff25cdf1d7a31b2151438a9c12d"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ResponseRates"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Month"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Month"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"slaSummary"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"ticketsReceived"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponses"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMet"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMissed"}},{"kind":"Field","name":{"kind":"Name","value":"averageFirstResponseSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"averageFollowUpResponseSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"monthsMet"}},{"kind":"Field","name":{"kind":"Name","value":"monthsBreached"}},{"kind":"Field","name":{"kind":"Name","value":"creditEarned"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"months"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"month"}},{"kind":"Field","name":{"kind":"Name","value":"final"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"ticketsReceived"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponses"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesAnswered"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMet"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMissed"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesRunning"}},{"kind":"Field","name":{"kind":"Name","value":"averageFirstResponseSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"averageFollowUpResponseSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"creditEarned"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<ResponseRatesQuery, ResponseRatesQueryVariables>;
export const SlaReportDocument = {"__meta__":{"hash":"3ae877ff47816794105423aa9c64781f79a839e51e99aff64ff9eeb11370f86a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SlaReport"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subscriptionId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"month"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"slaReport"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subscriptionId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subscriptionId"}}},{"kind":"Argument","name":{"kind":"Name","value":"month"},"value":{"kind":"Variable","name":{"kind":"Name","value":"month"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"month"}},{"kind":"Field","name":{"kind":"Name","value":"final"}},{"kind":"Field","name":{"kind":"Name","value":"met"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"ticketsReceived"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponses"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMet"}},{"kind":"Field","name":{"kind":"Name","value":"firstResponsesMissed"}},{"kind":"Field","name":{"kind":"Name","value":"followUps"}},{"kind":"Field","name":{"kind":"Name","value":"averageFollowUpResponseSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"credit"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"amount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cents"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SlaReportQuery, SlaReportQueryVariables>;
export const OptOutEarlyAccessDocument = {"__meta__":{"hash":"10cc27bd7b8479d1b9e1bc84e77e074d8e0decc913a558224b3216099b3f4593"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"OptOutEarlyAccess"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"subscriptionId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"optOutEarlyAccess"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"subscriptionId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"subscriptionId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"canceledAt"}}]}}]}}]} as unknown as DocumentNode<OptOutEarlyAccessMutation, OptOutEarlyAccessMutationVariables>;
export const TicketUpdatedDocument = {"__meta__":{"hash":"da5839f871b239deb4f6018a93b00f45e47669512f56242a3eb00514593b6b93"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"TicketUpdated"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ticketUpdated"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastMessageAt"}},{"kind":"Field","name":{"kind":"Name","value":"sla"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"breached"}},{"kind":"Field","name":{"kind":"Name","value":"currentDueAt"}},{"kind":"Field","name":{"kind":"Name","value":"businessSecondsLeft"}}]}}]}}]}}]} as unknown as DocumentNode<TicketUpdatedSubscription, TicketUpdatedSubscriptionVariables>;