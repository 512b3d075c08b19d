# Host-side unit tests of the plain-C parsers (multiboot2, ACPI) and bounded fuzz runs.
# Included by GNUmakefile; defines test-host.
HOST_CC     ?= cc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Isrc -DCADRE_HOST \
               -fsanitize=address,undefined -fno-sanitize-recover=all
HOST_TESTS  := $(BUILD)/host/test_multiboot2

$(BUILD)/host/test_multiboot2: test/host/test_multiboot2.c src/boot/multiboot2.c src/boot/multiboot2.h
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ test/host/test_multiboot2.c src/boot/multiboot2.c

.PHONY: test-host
test-host: deps-test $(HOST_TESTS)
	@set -e; for t in $(HOST_TESTS); do echo "== $$t"; $$t; done
