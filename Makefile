# bedrock_support — PGXS build plus the README's commands (make demo, make test).
#
# The demo and test targets first make sure the Debian packages are present
# (test/harness/deps.sh), then re-enter make for the PGXS build, so they work
# on a fresh machine where pg_config does not exist yet.

EXTENSION   = bedrock_support
MODULE_big  = bedrock_support
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# The schema's source is extension/schema/*.sql, one file per concern.
# default_version in the control file is the version being built: while it
# is in development its install script is assembled from the sources; once
# released, the assembled script is committed as extension/ and never
# edited again, and the build checks that the sources still assemble to it
# (README, "Releases").
EXTVERSION     := $(shell sed -n "s/^default_version = '\(.*\)'$$/\1/p" $(EXTENSION).control)
SCHEMA_SOURCES := $(sort $(wildcard extension/schema/*.sql))
ASSEMBLED      := build/$(EXTENSION)--$(EXTVERSION).sql
RELEASED       := $(wildcard extension/$(EXTENSION)--$(EXTVERSION).sql)
DATA        = $(wildcard extension/$(EXTENSION)--*.sql)
ifeq ($(RELEASED),)
DATA_built  = $(ASSEMBLED)
endif
EXTRA_CLEAN = build

# WERROR=1 (as make test builds) turns every compiler warning into an error.
PG_CPPFLAGS = -I$(srcdir)/src -DBEDROCK_SUPPORT_VERSION='"$(EXTVERSION)"' -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
PG_CPPFLAGS += -Werror
endif
SHLIB_LINK  = $(shell curl-config --libs 2>/dev/null || echo -lcurl)

# pg_regress: sql/*.sql against expected/*.out; isolation: test/specs/*.spec
# against test/expected/*.out; Perl TAP: test/t/*.pl (own clusters).
REGRESS        = priority time_zone seed_data lifecycle workflow events config reporting \
                 business_hours business_time deadlines templates triage escalation \
                 notifications client_types
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

$(ASSEMBLED): $(SCHEMA_SOURCES) extension/assemble.sh $(EXTENSION).control
	@mkdir -p build
	extension/assemble.sh $(EXTVERSION) $(SCHEMA_SOURCES) > $@

# A released version's script never changes: a schema change starts the
# next version (a new default_version and its one upgrade script).
.PHONY: released-script-unchanged
released-script-unchanged: $(ASSEMBLED)
ifneq ($(RELEASED),)
	@cmp -s $(ASSEMBLED) $(RELEASED) || { \
	  echo "extension/schema/ no longer assembles to released $(RELEASED);" \
	       "start the next version: README, \"Releases\"" >&2; exit 1; }
endif
all: released-script-unchanged

# Releasing default_version: its assembled script is committed beside the
# upgrade scripts, and from then on never changes.
.PHONY: release
release: $(ASSEMBLED)
	@test ! -e extension/$(EXTENSION)--$(EXTVERSION).sql || \
	  { echo "$(EXTVERSION) is already released" >&2; exit 1; }
	cp $(ASSEMBLED) extension/$(EXTENSION)--$(EXTVERSION).sql

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
