package main

// The image is FROM scratch: it has no CA bundle, and without one no
// registry (the vulnerability DB's, an image's) can be reached over TLS.
// This package's Mozilla roots are used only when the system has none; a
// host's or container's own bundle (SSL_CERT_FILE, /etc/ssl/certs) wins.
import _ "golang.org/x/crypto/x509roots/fallback"
