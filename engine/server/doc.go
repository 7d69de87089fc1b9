// Package server is client/server mode: Trivy's Twirp API (the Cache and
// Scanner services, in protobuf and JSON), the scan server around it, and
// the client that sends layer results to a server.
//
// The server is one process that holds one vulnerability DB and answers
// many scanners. Its parts, one file each:
//
//   - DBHolder: the open DB, swapped for a newer one without stopping
//     scans; a scan holds the DB it started with until it ends, and a
//     replaced DB is closed when its last scan releases it.
//   - Refresher: the background loop that downloads a newer DB when the
//     publisher's next update is due, or notices one installed by
//     `docker scan db update|import`, and swaps it in.
//   - NewHandler: the HTTP side: the Twirp services behind the token
//     check and the request size and time limits, /healthz, /version and
//     /metrics.
//   - Metrics: the Prometheus metrics, on a registry of their own.
//
// The wire types are mapped to engine/types in this package only.
package server
