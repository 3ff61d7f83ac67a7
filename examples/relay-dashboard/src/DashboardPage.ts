import { graphql } from "relay-runtime";

// The dashboard's landing page: the caller, their tickets and credits.
export const dashboardPageQuery = graphql`
  query DashboardPageQuery($filter: TicketFilter, $orderBy: TicketOrder) {
    viewer {
      subject
      roles
      customer {
        id
        name
        ...CustomerSettlements_customer
        ...CustomerTickets_customer
      }
    }
    ...TicketList_query @arguments(filter: $filter, orderBy: $orderBy)
    ...CreditLedger_query
  }
`;

// Support staff's landing page.
export const supportPageQuery = graphql`
  query DashboardPageSupportQuery {
    viewer {
      subject
      roles
    }
    ...PriorityQueue_query
  }
`;

// One ticket, one customer, one subscription, by global ID (refetches go
// through node(id:), see the @refetchable fragments).
export const ticketPageQuery = graphql`
  query DashboardPageTicketQuery($id: ID!) {
    ticket(id: $id) {
      ...TicketDetail_ticket
    }
  }
`;

export const customerPageQuery = graphql`
  query DashboardPageCustomerQuery($id: ID!) {
    customer(id: $id) {
      ...CustomerTickets_customer
      ...CustomerSettlements_customer
    }
  }
`;

export const subscriptionPageQuery = graphql`
  query DashboardPageSubscriptionQuery($id: ID!) {
    supportSubscription(id: $id) {
      ...SubscriptionTickets_subscription
    }
  }
`;
