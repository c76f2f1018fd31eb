# mident -- build, run and test.
#
#   make            build build/mident and build/libmident.{a,so}
#   make run        install missing packages, build, start `mident up`
#   make test       install missing packages, build, run every test
#   make test SANITIZE=1   the same with ASan + UBSan (into build-san/)
#   make install    install mident, libmident, mident.h and mident.pc
#
# Sources are found by directory: every src/<module>/*.c goes into the
# binary; lib/*.c plus the core pieces it needs make libmident.

PREFIX ?= /usr/local
PKGS := libmicrohttpd libcjson libcurl openssl sqlite3

ifeq ($(SANITIZE),1)
BUILD := build-san
OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := build
OPT := -O2 -g
endif

CC ?= cc
CFLAGS := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE $(OPT) -fPIC \
          -Isrc -Ilib/include $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
ifeq ($(SANITIZE),1)
LDFLAGS := -fsanitize=address,undefined
else
LDFLAGS :=
endif

# libmident: the public library and the core helpers it is built from.
LIB_CORE := src/core/err.c src/core/b64.c src/core/buf.c src/core/json.c \
            src/core/rand.c src/core/log.c src/core/http_client.c \
            src/core/form.c
LIB_SRCS := $(wildcard lib/*.c) $(LIB_CORE)
APP_SRCS := $(filter-out $(LIB_CORE),$(wildcard src/*/*.c))
MAIN_SRC := src/main.c

LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
APP_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(APP_SRCS))
MAIN_OBJ := $(BUILD)/obj/src/main.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

.PHONY: all run test unit e2e deps clean install bench
.SECONDARY:

all: $(BUILD)/mident $(BUILD)/libmident.a $(BUILD)/libmident.so $(UNIT_BINS)

$(BUILD)/obj/%.o: %.c $(wildcard src/*/*.h lib/include/*.h tests/unit/*.h) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libmident.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/libmident.so: $(LIB_OBJS)
	@echo "  LD      $@"
	@$(CC) -shared $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mident: $(MAIN_OBJ) $(APP_OBJS) $(BUILD)/libmident.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(APP_OBJS) $(BUILD)/libmident.a $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(APP_OBJS) $(BUILD)/libmident.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $< $(APP_OBJS) $(BUILD)/libmident.a $(LDLIBS)

$(BUILD)/bench_%: $(BUILD)/obj/bench/%.o $(APP_OBJS) $(BUILD)/libmident.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $< $(APP_OBJS) $(BUILD)/libmident.a $(LDLIBS)

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/mident up $(ARGS)

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

unit: all
	@BUILD=$(BUILD) tests/run.sh unit

e2e: all
	@BUILD=$(BUILD) tests/run.sh e2e

bench: all
	@bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/mident $(DESTDIR)$(PREFIX)/bin/mident
	install -m 644 $(BUILD)/libmident.a $(DESTDIR)$(PREFIX)/lib/libmident.a
	install -m 755 $(BUILD)/libmident.so $(DESTDIR)$(PREFIX)/lib/libmident.so
	install -m 644 lib/include/mident.h $(DESTDIR)$(PREFIX)/include/mident.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' lib/mident.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/mident.pc

clean:
	rm -rf build build-san
