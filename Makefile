# blocklab — build, dependencies, tests, benchmarks, install.
#   make         install missing Debian packages of the run set, build
#   make run     the same, then open the TUI on the tour
#   make check   install missing packages of the test set too, build, run every test
#   make bench   speed figures against the PyTorch reference (not a test)
#   make fuzz    build the libFuzzer targets (clang) and run each for FUZZ_SECONDS
#   make install PREFIX=~/.local   no root needed; make uninstall PREFIX=… removes it
# The two package sets are in tools/deps.sh (run: build and run; test: on top).
# Switches: SAN=1 builds with AddressSanitizer + UBSan (CI does this for the C tests);
#           FUZZ=1 builds with clang for libFuzzer (make fuzz sets it).

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PYTHON  ?= /usr/bin/python3
BUILD   ?= build

WARN    = -Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter
OPT     ?= -O3 -march=native -fno-math-errno
CFLAGS  ?= $(OPT) -g
# One thread pool (core/par.h): our loops are OpenMP, OpenBLAS is its OpenMP build.
OMP     = -fopenmp
BASE    = -std=c11 $(WARN) $(OMP) -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -MMD -MP -Icore -Iui -Isrc
ifeq ($(SAN),1)
  BUILD  := build-san
  CFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDSAN  := -fsanitize=address,undefined
endif

ifeq ($(FUZZ),1)
  CC     := clang
  BUILD  := build-fuzz
  CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDSAN  := -fsanitize=fuzzer,address,undefined
  OMP    := -Wno-unknown-pragmas
endif
FUZZ_SECONDS ?= 60

# Debian's OpenMP build of OpenBLAS, named by its own .pc (which gives its own
# folder); the rpath makes the loader take it over the pthread build that the
# libopenblas.so.0 alternative points to when both are installed. Elsewhere:
# whatever "openblas" is.
comma   := ,
BLAS_PC := $(firstword $(wildcard /usr/lib/*/openblas-openmp/pkgconfig/openblas.pc))
PKG_CORE = $(if $(BLAS_PC),$(BLAS_PC),openblas)
RPATH    = $(if $(BLAS_PC),-Wl$(comma)-rpath$(comma)$(shell pkg-config --variable=libdir $(BLAS_PC)))
PKG_UI   = libpng ncursesw
PKG_SRC  = readline
CFLAGS_CORE = $(shell pkg-config --cflags $(PKG_CORE) 2>/dev/null)
CFLAGS_UI   = $(shell pkg-config --cflags $(PKG_UI) 2>/dev/null)
CFLAGS_SRC  = $(shell pkg-config --cflags $(PKG_SRC) 2>/dev/null)
LIBS_CORE   = $(shell pkg-config --libs $(PKG_CORE) 2>/dev/null) $(RPATH) $(OMP) -lm -lpthread
LIBS_ALL    = $(shell pkg-config --libs $(PKG_CORE) $(PKG_UI) $(PKG_SRC) 2>/dev/null) $(RPATH) $(OMP) -lm -lpthread

CORE_SRC = $(wildcard core/*.c)
# The PyTorch export's Python files, compiled into the binary (core/export.c).
TORCH_PY = $(wildcard tools/torch/*.py)
GEN_OBJ  = $(BUILD)/gen/torch_files.o
UI_SRC   = $(wildcard ui/*.c)
APP_SRC  = $(wildcard src/*.c)
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
UI_OBJ   = $(UI_SRC:%.c=$(BUILD)/%.o)
APP_OBJ  = $(APP_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN = $(BUILD)/bench/bench_train $(BUILD)/bench/bench_depth $(BUILD)/bench/bench_chart
FUZZ_BIN  = $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
PARITY_BIN = $(BUILD)/tests/parity_dump $(BUILD)/tests/data_dump $(BUILD)/tests/export_dump $(BUILD)/tests/student_dump

.PHONY: all deps deps-test run check check-c check-san-tui check-script check-parity check-tui bench fuzz fuzz-build fuzz-bins install uninstall clean

all: deps blocklab $(UNIT_BIN) $(BENCH_BIN) $(PARITY_BIN)

$(BUILD)/core/%.o: core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) -c $< -o $@
# Normal draws: every op rounded on its own, so their bits match on every machine (core/rng.c).
$(BUILD)/core/rng.o: CFLAGS += -ffp-contract=off
# Attention's small products: multiply-adds fused where the CPU can (core/attn_kernel.h).
$(BUILD)/core/attn_kernel.o: CFLAGS += -ffp-contract=fast
$(BUILD)/gen/torch_files.c: tools/embed.sh $(TORCH_PY)
	@mkdir -p $(dir $@)
	sh tools/embed.sh $@ $(TORCH_PY)
$(GEN_OBJ): $(BUILD)/gen/torch_files.c
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) -c $< -o $@

$(BUILD)/ui/%.o: ui/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) $(CFLAGS_UI) -c $< -o $@
$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) $(CFLAGS_UI) $(CFLAGS_SRC) -DBL_DATADIR='"$(PREFIX)/share/blocklab"' -DBL_SRCDIR='"$(CURDIR)"' -c $< -o $@

$(BUILD)/libblcore.a: $(CORE_OBJ) $(GEN_OBJ)
	ar rcs $@ $^
$(BUILD)/libblui.a: $(UI_OBJ)
	@mkdir -p $(BUILD)
	ar rcs $@ $^

# Copy then rename: a running ./blocklab (a dashboard in another terminal) keeps its file.
blocklab: $(BUILD)/blocklab
	cp $< $@.tmp && mv -f $@.tmp $@
$(BUILD)/blocklab: $(APP_OBJ) $(BUILD)/libblui.a $(BUILD)/libblcore.a
	$(CC) $(CFLAGS) $(LDSAN) -o $@ $(APP_OBJ) $(BUILD)/libblui.a $(BUILD)/libblcore.a $(LIBS_ALL)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testlib.h $(BUILD)/libblui.a $(BUILD)/libblcore.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) $(CFLAGS_UI) -Itests/unit $(LDSAN) -o $@ $< $(BUILD)/libblui.a $(BUILD)/libblcore.a $(LIBS_ALL)

$(PARITY_BIN): $(BUILD)/tests/%: tests/parity/%.c $(BUILD)/libblcore.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) $(LDSAN) -o $@ $< $(BUILD)/libblcore.a $(LIBS_CORE)

# The chart of the scaling table goes through ui/ (the chart model and its PNG writer).
$(BUILD)/bench/bench_chart: bench/bench_chart.c $(BUILD)/libblui.a $(BUILD)/libblcore.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) $(CFLAGS_UI) $(LDSAN) -o $@ $< $(BUILD)/libblui.a $(BUILD)/libblcore.a $(LIBS_ALL)
$(BUILD)/bench/%: bench/%.c $(BUILD)/libblcore.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) $(LDSAN) -o $@ $< $(BUILD)/libblcore.a $(LIBS_CORE)

# Order-only: checking the packages never makes anything out of date.
$(CORE_OBJ) $(UI_OBJ) $(APP_OBJ) $(GEN_OBJ): | deps

# Fuzz targets link the program's objects but its main (tests/fuzz/*.c bring LLVMFuzzerTestOneInput).
$(BUILD)/fuzz/%: tests/fuzz/%.c $(filter-out $(BUILD)/src/main.o,$(APP_OBJ)) $(BUILD)/libblui.a $(BUILD)/libblcore.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) $(CFLAGS_CORE) $(CFLAGS_UI) $(LDSAN) -o $@ $< $(filter-out $(BUILD)/src/main.o,$(APP_OBJ)) $(BUILD)/libblui.a $(BUILD)/libblcore.a $(LIBS_ALL)

# clang comes with the test set.
fuzz-build: deps-test
	$(MAKE) FUZZ=1 fuzz-bins
fuzz-bins: $(FUZZ_BIN)

# Each target for FUZZ_SECONDS from its seeds (tests/fuzz/NAME/); fails on the first crash.
fuzz: fuzz-build
	@sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

deps:
	@sh tools/deps.sh run
deps-test:
	@sh tools/deps.sh test

run: all
	./blocklab --tui scenes/tour.bl

# The test command of the README. Every suite prints "N passed, N failed";
# tests/run.sh adds them up and fails if any failed.
check: deps-test all
	@sh tests/run.sh $(BUILD)

# The C unit tests alone (CI runs them again under SAN=1).
check-c: deps $(UNIT_BIN)
	@sh tests/run.sh $(BUILD) unit

# The dashboard's exit under AddressSanitizer + LeakSanitizer (CI: make SAN=1 check-san-tui).
check-san-tui: $(BUILD)/blocklab
	@BLOCKLAB=$(CURDIR)/$(BUILD)/blocklab sh tests/tui/exit.sh

bench: deps-test all
	@sh bench/run.sh $(BUILD)

# Anywhere you can write, no root needed: make install PREFIX=~/.local. The
# installed blocklab finds its data as ../share/blocklab beside itself (src/datadir.c),
# so the tree may move; man finds the page through PATH (PREFIX/bin -> PREFIX/share/man).
# assets/*.h are compiled in; the other assets (the font's licence) go with the data.
DATA    = $(DESTDIR)$(PREFIX)/share/blocklab
ASSETS  = $(filter-out %.h,$(wildcard assets/*))
install: blocklab
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DATA)/scenes $(DATA)/assets
	install -m 755 blocklab $(DESTDIR)$(PREFIX)/bin/blocklab
	install -m 644 man/blocklab.1 $(DESTDIR)$(PREFIX)/share/man/man1/blocklab.1
	install -m 644 scenes/*.bl $(DATA)/scenes/
	install -m 644 $(ASSETS) $(DATA)/assets/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/blocklab $(DESTDIR)$(PREFIX)/share/man/man1/blocklab.1
	rm -rf $(DATA)

clean:
	rm -rf build build-san build-fuzz blocklab

-include $(CORE_OBJ:.o=.d) $(UI_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(GEN_OBJ:.o=.d)
