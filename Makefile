# Kinobill — two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/end2end/node_modules/.bin:$(PATH)

.PHONY: run build test e2e api-fuzz fuzz chaos tools bench soak clean

## Install (if missing), build, migrate, seed demo data on first start, serve :3000.
run: build
	@echo ""
	@echo "  Kinobill:        http://127.0.0.1:3000"
	@echo "  Staff console:   http://127.0.0.1:3000/admin"
	@echo "  Demo staff login: admin@kinobill.local / kinobill-admin"
	@echo "                    marketing@kinobill.local / kinobill-marketing"
	@echo "                    support@kinobill.local / kinobill-support"
	@echo "  Customers:        http://127.0.0.1:3000/sign-in (continue as a demo customer)"
	@echo "  Test cards:       4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined"
	@echo ""
	./target/release/server serve

## Release build (server binary + WASM + CSS into target/site).
build: tools
	cargo leptos build --release

## Lint, Rust tests on SQLite and PostgreSQL, Playwright against a release build.
test:
	bash scripts/test.sh

## Only the Playwright suite (after `make build`).
e2e:
	bash scripts/e2e.sh

## Schemathesis from the published OpenAPI document against the release server (after make build).
api-fuzz:
	bash scripts/api-fuzz.sh

## cargo-fuzz targets (webhook parsers and signatures, customer tokens, idempotency keys), 10 min each.
fuzz:
	bash scripts/fuzz.sh

## Checkouts and renewals on PostgreSQL while processes are SIGKILLed and PostgreSQL restarts (after make build).
chaos:
	bash scripts/chaos.sh

tools:
	bash scripts/install-tools.sh

## Benchmarks: quote() micro-benchmark, then HTTP throughput on PostgreSQL (after make build).
bench:
	cargo bench -p app --bench quote
	bash scripts/bench-http.sh
	bash scripts/bench-console.sh
	bash scripts/bench-checkout.sh
	PROVIDER=yookassa bash scripts/bench-checkout.sh
	PROVIDER=cloudpayments bash scripts/bench-checkout.sh
	bash scripts/bench-worker.sh

## The billing state machine's random sequences, many more of them, on PostgreSQL.
soak:
	bash scripts/soak.sh

clean:
	cargo clean
