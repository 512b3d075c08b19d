# Host-side unit tests of the plain-C parsers (multiboot2, ACPI) and bounded fuzz runs.
# Included by GNUmakefile; defines test-host.  Everything is built under $(BUILD)/host/.
HOST_CC     ?= cc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -Itest/host -DCADRE_HOST \
               -fsanitize=address,undefined -fno-sanitize-recover=all
# libFuzzer needs clang; ASan's leak check stays on (libFuzzer reports leaks with it).
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -Itest/host -DCADRE_HOST \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Per target; with three targets the fuzzing takes about 3 x 20 s.
FUZZ_TIME   ?= 20
FUZZ_FLAGS  := -max_total_time=$(FUZZ_TIME) -timeout=5 -rss_limit_mb=2048 -print_final_stats=1

HOST        := $(BUILD)/host
ACPI_SRCS   := src/acpi/acpi_tables.c src/acpi/acpi_madt.c src/acpi/acpi_fadt.c \
               src/acpi/acpi_s5.c src/acpi/acpi_hpet.c src/acpi/acpi_mcfg.c src/acpi/acpi_irq.c src/acpi/acpi_summary.c
ACPI_HDRS   := src/acpi/acpi_tables.h src/acpi/acpi_info.h src/acpi/acpi_internal.h src/lib/compiler.h
MP_SRCS     := src/acpi/mptable.c $(ACPI_SRCS)
MP_HDRS     := src/acpi/mptable.h $(ACPI_HDRS)
MB2_SRCS    := src/boot/multiboot2.c
MB2_HDRS    := src/boot/multiboot2.h src/boot/multiboot2.defs.h src/lib/compiler.h
TEST_ACPI_SRCS := test/host/test_acpi.c test/host/test_acpi_built.c test/host/test_acpi_broken.c \
                  test/host/acpi_build.c test/host/fakemem.c test/host/check.c
TEST_ACPI_HDRS := test/host/test_acpi.h test/host/acpi_build.h test/host/fakemem.h test/host/check.h

PCI_SRCS    := src/dev/pci_parse.c
PCI_HDRS    := src/dev/pci_parse.h src/dev/pci_regs.h src/lib/compiler.h

HOST_TESTS  := $(HOST)/test_multiboot2 $(HOST)/test_acpi $(HOST)/test_mptable $(HOST)/test_pci
FUZZERS     := $(HOST)/fuzz_multiboot2 $(HOST)/fuzz_acpi $(HOST)/fuzz_mptable $(HOST)/fuzz_pci

$(HOST)/test_multiboot2: test/host/test_multiboot2.c test/host/check.c test/host/check.h $(MB2_SRCS) $(MB2_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ test/host/test_multiboot2.c test/host/check.c $(MB2_SRCS)

$(HOST)/test_acpi: $(TEST_ACPI_SRCS) $(TEST_ACPI_HDRS) $(ACPI_SRCS) $(ACPI_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $(TEST_ACPI_SRCS) $(ACPI_SRCS)

$(HOST)/test_mptable: test/host/test_mptable.c test/host/fakemem.c test/host/check.c test/host/fakemem.h \
                      test/host/check.h $(MP_SRCS) $(MP_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ test/host/test_mptable.c test/host/fakemem.c test/host/check.c $(MP_SRCS)

$(HOST)/fuzz_mptable: test/host/fuzz_mptable.c test/host/fakemem.c test/host/fakemem.h $(MP_SRCS) $(MP_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ test/host/fuzz_mptable.c test/host/fakemem.c $(MP_SRCS)

$(HOST)/test_pci: test/host/test_pci.c test/host/check.c test/host/check.h $(PCI_SRCS) $(PCI_HDRS)
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ test/host/test_pci.c test/host/check.c $(PCI_SRCS)

$(HOST)/fuzz_pci: test/host/fuzz_pci.c $(PCI_SRCS) $(PCI_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ test/host/fuzz_pci.c $(PCI_SRCS)

$(HOST)/fuzz_multiboot2: test/host/fuzz_multiboot2.c $(MB2_SRCS) $(MB2_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ test/host/fuzz_multiboot2.c $(MB2_SRCS)

$(HOST)/fuzz_acpi: test/host/fuzz_acpi.c test/host/fakemem.c test/host/fakemem.h $(ACPI_SRCS) $(ACPI_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ test/host/fuzz_acpi.c test/host/fakemem.c $(ACPI_SRCS)

# The unit tests, then the fuzzers, each growing a scratch copy of the committed seed corpus
# (never the corpus itself); a crash leaves its input as $(HOST)/crash-<target>-*.
define run_host_tests
	@set -e; for t in $(HOST_TESTS); do echo "== $$t"; $$t; done
endef
define run_fuzzers
	@set -e; for f in multiboot2 acpi mptable pci; do \
	    rm -rf $(HOST)/corpus-$$f && mkdir -p $(HOST)/corpus-$$f && \
	    cp test/host/corpus/$$f/* $(HOST)/corpus-$$f/ && \
	    echo "== fuzz_$$f: $(FUZZ_TIME) s from $$(ls test/host/corpus/$$f | wc -l) seeds"; \
	    $(HOST)/fuzz_$$f $(FUZZ_FLAGS) -artifact_prefix=$(HOST)/crash-$$f- $(HOST)/corpus-$$f \
	        > $(HOST)/fuzz_$$f.log 2>&1 || { tail -n 60 $(HOST)/fuzz_$$f.log; exit 1; }; \
	    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' $(HOST)/fuzz_$$f.log; \
	done
endef

.PHONY: test-host test-host-unit test-host-fuzz
test-host: deps-test $(HOST_TESTS) $(FUZZERS)
	$(run_host_tests)
	$(run_fuzzers)

test-host-unit: $(HOST_TESTS)
	$(run_host_tests)

test-host-fuzz: $(FUZZERS)
	$(run_fuzzers)
