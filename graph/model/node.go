package model

// Node is an object with a globally unique id (the schema's Node
// interface): *models.Customer, *models.License, *SupportSubscription,
// *Ticket, *models.Message, *models.CreditEntry or *models.Settlement. The
// generated code tells them apart by their Go type.
type Node interface{}
