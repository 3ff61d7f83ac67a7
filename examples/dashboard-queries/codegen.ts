import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for the dashboard's operations, checked against the schema the
// server serves (schema.graphql at the repository root, printed by
// `go generate ./...`), and the persisted-documents manifest the server's
// trusted-documents mode (PS_TRUSTED_DOCUMENTS) reads.
const config: CodegenConfig = {
  schema: process.env.SCHEMA ?? "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        scalars: { Time: "string", Month: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
      },
    },
  },
};

export default config;
