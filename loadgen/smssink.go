package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// smsSink is an SMS provider of the load's own (the JSON POST notify.SMSSender
// makes: {"to", "body", "reference"}): where a Rebound that is not
// `rebound dev` — the production topology — sends the shoppers' codes,
// which the load then reads instead of the dev outbox. It keeps every
// message by number.
type smsSink struct {
	srv  *http.Server
	addr string
	mu   sync.Mutex
	by   map[string][]string
}

// startSMSSink serves the sink on addr until ctx ends or close.
func startSMSSink(ctx context.Context, addr string) (*smsSink, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &smsSink{addr: l.Addr().String(), by: map[string][]string{}}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.receive), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	context.AfterFunc(ctx, func() { _ = s.srv.Close() })
	return s, nil
}

func (s *smsSink) receive(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	var m struct{ To, Body string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&m); err != nil || m.To == "" {
		http.Error(w, `{"error":"bad_request"}`, http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.by[m.To] = append(s.by[m.To], m.Body)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// messages are what reached to, oldest first.
func (s *smsSink) messages(to string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.by[to]...)
}

func (s *smsSink) close() error {
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
