// Subscribes to ticketUpdated over the server's GraphQL websocket with the
// graphql-ws client library, the one browser dashboards use, and exits 0
// after the first event (printed as JSON), or 1 with the error.
//
//   node check.mjs ws://127.0.0.1:8080/graphql <token>
//
// The token goes in connection_init as {"Authorization": "Bearer <token>"}.
// "connected" is printed once the server has acknowledged the connection.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error("usage: node check.mjs <ws-url> <token>");
  process.exit(2);
}

function fail(message) {
  console.error(`graphql-ws check failed: ${message}`);
  process.exit(1);
}

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: { Authorization: `Bearer ${token}` },
  on: {
    connected: () => console.log("connected"),
    closed: (event) => fail(`socket closed: ${event?.code} ${event?.reason ?? ""}`.trim()),
    error: (err) => fail(`socket error: ${err?.message ?? err}`),
  },
});

client.subscribe(
  { query: "subscription { ticketUpdated { id subject status } }" },
  {
    next: (result) => {
      if (result.errors?.length) {
        fail(`errors: ${JSON.stringify(result.errors)}`);
      }
      if (!result.data?.ticketUpdated?.id) {
        fail(`event without a ticket: ${JSON.stringify(result)}`);
      }
      console.log(`ticketUpdated ${JSON.stringify(result.data.ticketUpdated)}`);
      process.exit(0);
    },
    error: (err) => fail(Array.isArray(err) ? `errors: ${JSON.stringify(err)}` : `${err?.message ?? err?.code ?? err}`),
    complete: () => fail("the subscription completed without an event"),
  },
);
