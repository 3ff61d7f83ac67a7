// The customer dashboard's GraphQL operations. graphql-codegen reads them
// from here, types them against the server's schema and writes their
// persisted-documents manifest (src/gql/persisted-documents.json).
import { graphql } from "./gql";

/** Who is signed in, and the customer they belong to. */
export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      subject
      roles
      customer {
        id
        name
        creditBalance {
          cents
          currency
        }
      }
    }
  }
`);

/** The ticket page: a page of tickets with each one's SLA state. */
export const TicketsPageQuery = graphql(`
  query TicketsPage($first: Int, $after: String, $filter: TicketFilter, $orderBy: TicketOrder) {
    tickets(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          subject
          status
          priority
          requesterEmail
          createdAt
          lastMessageAt
          slaStatus
          sla {
            firstResponseDueAt
            firstRespondedAt
            firstResponseBusinessSeconds
            breached
            currentDueAt
            businessSecondsLeft
          }
          subscription {
            id
            status
            domains
          }
        }
      }
    }
  }
`);

/** One ticket with its messages and SLA clocks. */
export const TicketDetailQuery = graphql(`
  query TicketDetail($id: ID!, $messages: Int, $after: String) {
    ticket(id: $id) {
      id
      subject
      status
      priority
      requesterEmail
      createdAt
      resolvedAt
      lastMessageAt
      sla {
        firstResponseDueAt
        firstRespondedAt
        firstResponseBusinessSeconds
        breached
        currentDueAt
        businessSecondsLeft
      }
      slaStatus
      messagesConnection(first: $messages, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            direction
            machineSent
            bounce
            from
            fromName
            to
            subject
            receivedAt
            sentAt
            attachments
            body
          }
        }
      }
      clocks {
        kind
        month
        startedAt
        dueAt
        targetSeconds
        stoppedAt
        stoppedBy
        businessSeconds
        met
      }
    }
  }
`);

/** The credit balance and a page of the ledger, newest first. */
export const CreditsQuery = graphql(`
  query Credits($first: Int, $after: String) {
    creditBalance {
      cents
      currency
    }
    creditLedger(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          kind
          amount {
            cents
            currency
          }
          reason
          month
          createdAt
        }
      }
    }
  }
`);

/** The month reports of each of the customer's subscriptions. */
export const MonthReportsQuery = graphql(`
  query MonthReports($months: Int) {
    viewer {
      customer {
        id
        supportSubscriptions {
          id
          status
          domains
          earlyAccess
          monthlyFee {
            cents
            currency
          }
          currentPeriodStart
          currentPeriodEnd
          slaHistory(months: $months) {
            month
            final
            met
            status
            ticketsReceived
            firstResponses
            firstResponsesMet
            firstResponsesMissed
            followUps
            averageFollowUpResponseSeconds
            credit {
              id
              amount {
                cents
                currency
              }
              createdAt
            }
          }
        }
      }
    }
  }
`);

/** The "our response rates" page: the customer's months over a range, and the totals. */
export const ResponseRatesQuery = graphql(`
  query ResponseRates($from: Month!, $to: Month!) {
    viewer {
      customer {
        id
        name
        slaSummary(from: $from, to: $to) {
          from
          to
          ticketsReceived
          firstResponses
          firstResponsesMet
          firstResponsesMissed
          averageFirstResponseSeconds
          averageFollowUpResponseSeconds
          monthsMet
          monthsBreached
          creditEarned {
            cents
            currency
          }
          months {
            month
            final
            status
            ticketsReceived
            firstResponses
            firstResponsesAnswered
            firstResponsesMet
            firstResponsesMissed
            firstResponsesRunning
            averageFirstResponseSeconds
            averageFollowUpResponseSeconds
            creditEarned {
              cents
              currency
            }
          }
        }
      }
    }
  }
`);

/** One month's report of one subscription (null for a month without a guarantee). */
export const SlaReportQuery = graphql(`
  query SlaReport($subscriptionId: ID!, $month: String!) {
    slaReport(subscriptionId: $subscriptionId, month: $month) {
      month
      final
      met
      status
      ticketsReceived
      firstResponses
      firstResponsesMet
      firstResponsesMissed
      followUps
      averageFollowUpResponseSeconds
      credit {
        id
        amount {
          cents
          currency
        }
      }
    }
  }
`);

/** Ends an early-access subscription and refunds the rest of its year. */
export const OptOutEarlyAccessMutation = graphql(`
  mutation OptOutEarlyAccess($subscriptionId: ID!) {
    optOutEarlyAccess(subscriptionId: $subscriptionId) {
      id
      status
      canceledAt
    }
  }
`);

/** Live ticket changes over the websocket (graphql-transport-ws). */
export const TicketUpdatedSubscription = graphql(`
  subscription TicketUpdated {
    ticketUpdated {
      id
      status
      lastMessageAt
      sla {
        breached
        currentDueAt
        businessSecondsLeft
      }
    }
  }
`);
