import { graphql } from "relay-runtime";

// The tickets filed under one support subscription.
export const subscriptionTicketsFragment = graphql`
  fragment SubscriptionTickets_subscription on SupportSubscription
  @refetchable(queryName: "SubscriptionTicketsPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
    filter: { type: "TicketFilter" }
    orderBy: { type: "TicketOrder" }
  ) {
    id
    status
    domains
    tickets(filter: $filter, orderBy: $orderBy, first: $count, after: $cursor)
      @connection(key: "SubscriptionTickets_tickets", filters: ["filter", "orderBy"]) {
      totalCount
      edges {
        node {
          id
          ...TicketRow_ticket
        }
      }
    }
  }
`;
