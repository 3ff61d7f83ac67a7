import { graphql } from "relay-runtime";

// A customer's Stripe settlements (credits applied, refunds, credit notes), newest first.
export const customerSettlementsFragment = graphql`
  fragment CustomerSettlements_customer on Customer
  @refetchable(queryName: "CustomerSettlementsPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
  ) {
    id
    name
    settlementsConnection(first: $count, after: $cursor)
      @connection(key: "CustomerSettlements_settlementsConnection") {
      totalCount
      edges {
        node {
          id
          kind
          status
          amount {
            cents
            currency
          }
          createdAt
        }
      }
    }
  }
`;
