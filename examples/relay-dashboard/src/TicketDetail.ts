import { graphql } from "relay-runtime";

// One ticket and its messages, oldest first, a page at a time.
export const ticketDetailFragment = graphql`
  fragment TicketDetail_ticket on Ticket
  @refetchable(queryName: "TicketDetailPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
  ) {
    id
    subject
    status
    priority
    requesterEmail
    lastMessageAt
    messagesConnection(first: $count, after: $cursor)
      @connection(key: "TicketDetail_messagesConnection") {
      totalCount
      edges {
        node {
          id
          direction
          from
          subject
          receivedAt
        }
      }
    }
  }
`;
