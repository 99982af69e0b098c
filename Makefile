# bedrock_support — PGXS build plus the README's commands (make demo, make test).
#
# The demo and test targets first make sure the Debian packages are present
# (test/harness/deps.sh), then re-enter make for the PGXS build, so they work
# on a fresh machine where pg_config does not exist yet.

EXTENSION   = bedrock_support
MODULE_big  = bedrock_support
# src/ holds a folder per concern (README, "Layout"); src/shared/ what several use.
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))

# The schema's source is extension/schema/*.sql, one file per concern,
# assembled into the install script of default_version (the control file).
# extension/releases pins each released version to the SHA-256 of its
# script: while default_version is released, the build refuses sources that
# no longer assemble to it. Starting the next version (make next) freezes
# the released script in extension/ beside its upgrade script, so it never
# changes again (README, "Releases").
EXTVERSION     := $(shell sed -n "s/^default_version = '\(.*\)'$$/\1/p" $(EXTENSION).control)
# one file per concern, in the order the assembler takes each section
# across them (extension/assemble.py): a concern's tables may refer to an
# earlier one's (a ticket to its account, a triage rule to a channel)
SCHEMA_SOURCES := $(addprefix extension/schema/,shared.sql security.sql tickets.sql sla.sql \
                  delivery.sql triage.sql escalation.sql reporting.sql operations.sql)
ASSEMBLED      := build/$(EXTENSION)--$(EXTVERSION).sql
RELEASED_SHA   := $(shell sed -n "s/^$(EXTVERSION) sha256://p" extension/releases)
# An upgrade script in development is assembled too, from its source in
# extension/upgrade/ (the steps only an upgrade takes, and --@include lines
# naming the objects it defines anew, taken from extension/schema/), so no
# definition is written twice. make next freezes it in extension/.
UPGRADE_SOURCES := $(wildcard extension/upgrade/$(EXTENSION)--*--$(EXTVERSION).sql)
UPGRADES        := $(patsubst extension/upgrade/%,build/%,$(UPGRADE_SOURCES))
DATA        = $(wildcard extension/$(EXTENSION)--*.sql)
DATA_built  = $(ASSEMBLED) $(UPGRADES)
EXTRA_CLEAN = build

# WERROR=1 (as make test builds) turns every compiler warning into an error.
PG_CPPFLAGS = -I$(srcdir)/src -DBEDROCK_SUPPORT_VERSION='"$(EXTVERSION)"' -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
PG_CPPFLAGS += -Werror
endif

# A changed header (src/*/*.h) rebuilds every object that includes it (the
# dependency files come from the object's compile only: the bitcode's
# compile would write its own targets into the same file).
PG_CFLAGS += -MMD -MP
EXTRA_CLEAN += src/*.d src/*/*.d
SHLIB_LINK  = $(shell curl-config --libs 2>/dev/null || echo -lcurl)

# pg_regress: sql/*.sql against expected/*.out; isolation: test/specs/*.spec
# against test/expected/*.out; Perl TAP: test/t/*.pl (own clusters).
REGRESS        = tickets_priority sla_time_zone operations_seed_data tickets_lifecycle tickets_workflow tickets_events operations_config reporting \
                 sla_business_hours sla_business_time sla_deadlines triage_templates triage escalation \
                 delivery_notifications tickets_client_types escalation_marks tickets_reopening triage_client_times escalation_triggers escalation_executive delivery_backlog delivery_message_keys delivery_leases \
                 escalation_worker_isolation security_text_bounds delivery_fairness escalation_page_limits security_lock_guard security_pooled_settings
ISOLATION      = tickets_status_race tickets_first_response_race sla_config_cache triage_assignment_race \
                 triage_rules_cache escalation_race security_assumption_race escalation_owner_pick \
                 triage_assignment_no_wait delivery_locks escalation_worker_lock_wait
ISOLATION_OPTS = --inputdir=test
TAP_TESTS      = 1
PROVE_TESTS    = test/t/*.pl

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif
-include $(wildcard src/*.d src/*/*.d)
# the library carries default_version
$(OBJS): $(EXTENSION).control

ifeq ($(PGXS),)
all install:
	@echo "PostgreSQL 15 server headers are missing: run 'make demo' or 'make test' as root," \
	      "or install postgresql-server-dev-15" >&2; exit 1
endif

$(ASSEMBLED): $(SCHEMA_SOURCES) extension/assemble.py $(EXTENSION).control
	@mkdir -p build
	python3 extension/assemble.py $(EXTVERSION) $(SCHEMA_SOURCES) > $@.tmp && mv $@.tmp $@

$(UPGRADES): build/%: extension/upgrade/% $(SCHEMA_SOURCES) extension/assemble_upgrade.py
	@mkdir -p build
	python3 extension/assemble_upgrade.py $< $(SCHEMA_SOURCES) > $@.tmp && mv $@.tmp $@

# A released version's script never changes: a schema change starts the
# next version.
.PHONY: released-script-unchanged
released-script-unchanged: $(ASSEMBLED) $(UPGRADES)
ifneq ($(RELEASED_SHA),)
	@test "$$(sha256sum < $(ASSEMBLED) | cut -d' ' -f1)" = "$(RELEASED_SHA)" || { \
	  echo "extension/schema/ no longer assembles to released $(EXTVERSION) (extension/releases);" \
	       "start the next version: make next VERSION=..., doc/operations.md \"Releases\"" >&2; exit 1; }
	@for script in $(UPGRADES); do \
	  name=$$(basename $$script .sql); name=$${name#$(EXTENSION)--}; \
	  test "$$(sha256sum < $$script | cut -d' ' -f1)" = "$$(sed -n "s/^$$name sha256://p" extension/releases)" || { \
	    echo "$$script no longer assembles to the released one (extension/releases)" >&2; exit 1; }; done
endif
all: released-script-unchanged

# make release: pins default_version's assembled script as released.
.PHONY: release
release: $(ASSEMBLED) $(UPGRADES)
	@test -z "$(RELEASED_SHA)" || { echo "$(EXTVERSION) is already released" >&2; exit 1; }
	echo "$(EXTVERSION) sha256:$$(sha256sum < $(ASSEMBLED) | cut -d' ' -f1)" >> extension/releases
	for script in $(UPGRADES); do name=$$(basename $$script .sql); \
	  echo "$${name#$(EXTENSION)--} sha256:$$(sha256sum < $$script | cut -d' ' -f1)" >> extension/releases; done

# make next VERSION=1.1: the released default_version's script is frozen in
# extension/, its one upgrade script to VERSION begun, and VERSION becomes
# default_version, in development.
.PHONY: next
next: released-script-unchanged
	@test -n "$(VERSION)" -a -n "$(RELEASED_SHA)" || \
	  { echo "make next VERSION=x.y, once $(EXTVERSION) is released (make release)" >&2; exit 1; }
	cp $(ASSEMBLED) $(UPGRADES) extension/
	rm -f $(UPGRADE_SOURCES)
	printf '%s\n' "-- bedrock_support $(EXTVERSION) -> $(VERSION): every change to extension/schema/ since" \
	  "-- $(EXTVERSION), in the order it was made (doc/operations.md, \"Releases\")." \
	  "\\echo Use \"ALTER EXTENSION bedrock_support UPDATE TO '$(VERSION)'\" to load this file. \\quit" \
	  > extension/upgrade/$(EXTENSION)--$(EXTVERSION)--$(VERSION).sql
	sed -i "s/^default_version = .*/default_version = '$(VERSION)'/" $(EXTENSION).control

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
