// Package api is AtlHyper's HTTP API: one chi router serving the local
// server and the Lambda alike. It validates every parameter, authenticates
// every route but health, login and refresh, enforces roles from one route
// table (which the OpenAPI document and the authorization tests check), and
// records audited actions before answering. It holds no state of its own.
package api
