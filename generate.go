package main

//go:generate go tool gqlgen generate
//go:generate go run ./graph/printschema -o schema.graphql
