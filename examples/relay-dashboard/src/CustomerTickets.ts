import { graphql } from "relay-runtime";

// A customer's tickets, filtered and ordered; each filter/order is its own connection.
export const customerTicketsFragment = graphql`
  fragment CustomerTickets_customer on Customer
  @refetchable(queryName: "CustomerTicketsPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
    filter: { type: "TicketFilter" }
    orderBy: { type: "TicketOrder" }
  ) {
    id
    tickets(filter: $filter, orderBy: $orderBy, first: $count, after: $cursor)
      @connection(key: "CustomerTickets_tickets", filters: ["filter", "orderBy"]) {
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
