GO ?= go
export GOTOOLCHAIN := local

.PHONY: build dev test property topology lint fmt clean

## build: the rebound binary in bin/
build:
	$(GO) build -o bin/rebound ./cmd/rebound

## dev: the whole platform in one process (embedded Temporal + SQLite)
dev:
	$(GO) run ./cmd/rebound dev

## test: every test; the race detector over all packages that do not link the embedded Temporal server
test:
	scripts/test

## property: the money rules' property test over more seeds (REBOUND_PROPERTY_SEEDS, default 30)
property:
	REBOUND_PROPERTY_SEEDS=$${REBOUND_PROPERTY_SEEDS:-30} $(GO) test -count=1 -timeout 90m -run 'TestPropertyNoRefundIsPaidTwiceOrLost' -v ./e2e/

## topology: the production shape on one machine: Temporal on Postgres, 2 APIs, 2 workers, faults, the books checked
topology:
	GO=$(GO) scripts/topology

## lint: gofmt, go vet, and workflowcheck over the workflows
# workflowcheck follows the workflows' calls into other packages, so that
# non-deterministic code (time.Now, goroutines, map ranges, global state)
# never reaches a workflow; it is a tool dependency in go.mod.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool workflowcheck -show-pos ./workflows/...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin .rebound
