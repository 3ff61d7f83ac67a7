import { graphql } from "relay-runtime";

// Support staff's queue of open priority tickets, most urgent first.
export const priorityQueueFragment = graphql`
  fragment PriorityQueue_query on Query
  @refetchable(queryName: "PriorityQueuePaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 25 }
    cursor: { type: "String" }
  ) {
    priorityQueueConnection(first: $count, after: $cursor)
      @connection(key: "PriorityQueue_priorityQueueConnection") {
      totalCount
      edges {
        node {
          id
          ...TicketRow_ticket
          customer {
            id
            name
          }
        }
      }
    }
  }
`;
