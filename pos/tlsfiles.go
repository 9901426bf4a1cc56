package pos

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSFiles name the PEM files of the TLS connection to the acquirer.
type TLSFiles struct {
	// CA verifies the acquirer's certificate (the system's roots when
	// empty).
	CA string
	// Cert and Key are Rebound's own certificate and key, for acquirers
	// that require mutual TLS; both or neither.
	Cert, Key string
	// ServerName is the name the acquirer's certificate must carry (the
	// host of the address when empty).
	ServerName string
}

// ClientTLS builds the client side of the connection to the acquirer.
func (f TLSFiles) ClientTLS() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.ServerName}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("acquirer CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("acquirer CA: no certificate in " + f.CA)
		}
		c.RootCAs = pool
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("acquirer client certificate: give both the certificate and the key, or neither")
	}
	if f.Cert != "" {
		cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("acquirer client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
