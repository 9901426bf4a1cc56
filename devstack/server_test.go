package devstack

import (
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
)

// A port taken between the check and the server's bind made the server
// panic, killing `rebound dev` on a busy machine; it is an error Start
// retries on now.
func TestAPortTakenAsTheServerStartsIsAnErrorNotAPanic(t *testing.T) {
	store, _, err := sqliteStore("")
	if err != nil {
		t.Fatal(err)
	}
	frontend, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := serverConfig("127.0.0.1", frontend, store)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else holds the worker service's port.
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Services["worker"].RPC.GRPCPort)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv, err := startServer(cfg, newServerLogger(slog.New(slog.DiscardHandler), slog.LevelError, new(atomic.Bool)))
	if err == nil {
		_ = srv.Stop()
		t.Fatal("the server started on a port someone else holds")
	}
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("err = %v, want errPortTaken", err)
	}
}

func TestFreePortsAreBelowTheEphemeralRange(t *testing.T) {
	for range 20 {
		p, err := freePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if p < portLow || p >= portHigh {
			t.Fatalf("port %d is outside [%d, %d)", p, portLow, portHigh)
		}
	}
}
