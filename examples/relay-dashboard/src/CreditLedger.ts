import { graphql } from "relay-runtime";

// A customer's credit ledger (the caller's own when customerId is null).
export const creditLedgerFragment = graphql`
  fragment CreditLedger_query on Query
  @refetchable(queryName: "CreditLedgerPaginationQuery")
  @argumentDefinitions(
    customerId: { type: "ID" }
    count: { type: "Int", defaultValue: 25 }
    cursor: { type: "String" }
  ) {
    creditBalance(customerId: $customerId) {
      cents
      currency
    }
    creditLedger(customerId: $customerId, first: $count, after: $cursor)
      @connection(key: "CreditLedger_creditLedger", filters: ["customerId"]) {
      totalCount
      edges {
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
`;
