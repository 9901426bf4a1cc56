package pos_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rebound-returns/rebound/acquirersim"
	"github.com/rebound-returns/rebound/acquirersim/simtest"
	"github.com/rebound-returns/rebound/pos"
)

// issue makes a certificate signed by ca (self-signed when ca is nil) and
// writes it and its key as PEM files; it answers the certificate.
func issue(t *testing.T, dir, name string, ca *tls.Certificate, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		BasicConstraintsValid: true, IsCA: ca == nil}
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.Leaf, ca.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	write := func(file, kind string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, file), pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(name+".crt", "CERTIFICATE", der)
	write(name+".key", "EC PRIVATE KEY", kb)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestMutualTLSToTheAcquirer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := issue(t, dir, "ca", nil, x509.ExtKeyUsageAny)
	server := issue(t, dir, "acquirer.test", &ca, x509.ExtKeyUsageServerAuth)
	issue(t, dir, "rebound", &ca, x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Leaf)
	a := acquirersim.New(acquirersim.Config{Now: simtest.NewClock(simtest.T0).Now, Logger: simtest.Quiet(), TLS: &tls.Config{MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{server}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}})
	if err := a.AddSale(simtest.SettledSale); err != nil {
		t.Fatal(err)
	}
	a.AddTerminal(simtest.Virtual, simtest.Merchant)
	if err := a.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	files := pos.TLSFiles{CA: filepath.Join(dir, "ca.crt"), Cert: filepath.Join(dir, "rebound.crt"),
		Key: filepath.Join(dir, "rebound.key"), ServerName: "acquirer.test"}
	cfg, err := files.ClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := simtest.NewClient(t, a.Addr(), pos.ClientConfig{TLS: cfg})
	if r := simtest.Send(t, c, simtest.RefundOf("000001", 100)); !r.Approved() {
		t.Fatalf("over mutual TLS: %+v", r)
	}

	// Without Rebound's certificate the acquirer takes nothing.
	noCert, err := pos.TLSFiles{CA: files.CA, ServerName: "acquirer.test"}.ClientTLS()
	if err != nil {
		t.Fatal(err)
	}
	anon, err := pos.NewClient(pos.ClientConfig{Addr: a.Addr(), TLS: noCert, SendTimeout: 500 * time.Millisecond, Logger: simtest.Quiet(),
		ReconnectWait: 20 * time.Millisecond, MaxReconnectWait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := anon.Connect(ctx); err == nil {
		if resp, err := anon.Send(ctx, simtest.RefundOf("000002", 100)); err == nil {
			t.Fatalf("a client without a certificate was answered: %+v", resp)
		}
	}
	// Half a client certificate, or a missing CA file, is refused at start.
	if _, err := (pos.TLSFiles{CA: filepath.Join(dir, "rebound.crt"), Cert: files.Cert}).ClientTLS(); err == nil {
		t.Fatal("a certificate without its key was taken")
	}
	if _, err := (pos.TLSFiles{CA: filepath.Join(dir, "missing.crt")}).ClientTLS(); err == nil {
		t.Fatal("a missing CA file was taken")
	}
}
