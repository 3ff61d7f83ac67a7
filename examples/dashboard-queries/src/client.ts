// A minimal typed client, as the dashboard's: it sends an operation by its
// persisted id (the server's trusted-documents mode runs nothing else) and
// returns data typed by the operation.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

/** A GraphQL error as the server reports it, with its code. */
export interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

/** What an operation answers. */
export interface Result<TData> {
  data?: TData | null;
  errors?: GraphQLError[];
}

interface Persisted {
  __meta__?: { hash?: string };
}

/** Runs document with variables against endpoint, with the bearer token. */
export async function execute<TData, TVariables>(
  endpoint: string,
  token: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
): Promise<Result<TData>> {
  const hash = (document as Persisted).__meta__?.hash;
  if (!hash) {
    throw new Error("the operation has no persisted hash: run npm run codegen");
  }
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ documentId: hash, variables }),
  });
  return (await response.json()) as Result<TData>;
}
