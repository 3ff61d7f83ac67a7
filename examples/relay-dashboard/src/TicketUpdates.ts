import { graphql } from "relay-runtime";

// Live updates to the caller's tickets (support staff: one customer's, or all).
export const ticketUpdatesSubscription = graphql`
  subscription TicketUpdatesSubscription($customerId: ID) {
    ticketUpdated(customerId: $customerId) {
      id
      ...TicketRow_ticket
    }
  }
`;
