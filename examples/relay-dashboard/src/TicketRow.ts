import { graphql } from "relay-runtime";

// One line of a ticket list.
export const ticketRowFragment = graphql`
  fragment TicketRow_ticket on Ticket {
    id
    subject
    status
    priority
    slaStatus
    lastMessageAt
  }
`;
