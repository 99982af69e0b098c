# bedrock_support — PGXS build plus the README's commands (make demo, make test).
#
# The demo and test targets first make sure the Debian packages are present
# (test/harness/deps.sh), then re-enter make for the PGXS build, so they work
# on a fresh machine where pg_config does not exist yet.

EXTENSION   = bedrock_support
MODULE_big  = bedrock_support
OBJS        = src/bedrock_support.o src/priority.o src/lifecycle.o \
              src/ticket_events.o src/time_zone.o src/schedule.o \
              src/business_time.o src/business_hours.o src/sla_config.o \
              src/sla.o src/template.o src/template_sql.o src/owner_spi.o \
              src/triage_rules.o src/assignment.o src/triage.o src/triage_outbox.o \
              src/spi_support.o src/row_probe.o src/config_cache.o \
              src/sla_actions.o src/worker_shmem.o src/worker_launcher.o \
              src/escalation_worker.o src/database_guard.o src/webhook_signature.o \
              src/delivery_curl.o src/delivery_worker.o src/worker_transaction.o \
              src/outbox_triggers.o src/auth.o src/totp.o src/session_registry.o \
              src/trigger_guard.o src/ticket_guard.o src/address_checks.o
DATA        = $(wildcard extension/bedrock_support--*.sql)
PG_CPPFLAGS = -I$(srcdir)/src -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK  = $(shell curl-config --libs 2>/dev/null || echo -lcurl)

# pg_regress: sql/*.sql against expected/*.out; isolation: test/specs/*.spec
# against test/expected/*.out; Perl TAP: test/t/*.pl (own clusters).
REGRESS        = priority time_zone seed_data lifecycle workflow events config reporting \
                 business_hours business_time deadlines templates triage escalation \
                 notifications
ISOLATION      = status_race first_response_race sla_config_cache assignment_race \
                 triage_rules_cache escalation_race assumption_race
ISOLATION_OPTS = --inputdir=test
TAP_TESTS      = 1
PROVE_TESTS    = test/t/*.pl

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

ifeq ($(PGXS),)
all install:
	@echo "PostgreSQL 15 server headers are missing: run 'make demo' or 'make test' as root," \
	      "or install postgresql-server-dev-15" >&2; exit 1
endif

HARNESS = test/harness

# One target per test layer, so the harness can run every layer and report
# each one even when an earlier layer fails.
.PHONY: installcheck-regress installcheck-isolation installcheck-tap
installcheck-regress:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)
installcheck-isolation:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)
installcheck-tap:
	$(prove_installcheck)

.PHONY: demo test bench stop deps
deps:
	@bash $(HARNESS)/deps.sh

demo: deps
	@bash $(HARNESS)/demo.sh

test: deps
	@bash $(HARNESS)/run_tests.sh

bench: deps
	@bash test/bench/run.sh

stop:
	@bash $(HARNESS)/receivers.sh stop; bash $(HARNESS)/cluster.sh stop demo; bash $(HARNESS)/cluster.sh stop test; \
	 bash $(HARNESS)/cluster.sh stop bench; bash $(HARNESS)/cluster.sh stop instructions
