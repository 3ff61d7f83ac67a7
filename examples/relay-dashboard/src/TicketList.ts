import { graphql } from "relay-runtime";

// The caller's tickets (support staff: everyone's), filtered and ordered.
export const ticketListFragment = graphql`
  fragment TicketList_query on Query
  @refetchable(queryName: "TicketListPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 25 }
    cursor: { type: "String" }
    filter: { type: "TicketFilter" }
    orderBy: { type: "TicketOrder" }
  ) {
    tickets(filter: $filter, orderBy: $orderBy, first: $count, after: $cursor)
      @connection(key: "TicketList_tickets", filters: ["filter", "orderBy"]) {
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
