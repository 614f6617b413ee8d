/*
 * sbplc's Linux stand-ins for the macOS-only parts of simbple
 * (github.com/0xbf00/simbple), so that its evaluator can serve as an
 * independent evaluator in sbplc's differential test. This file is
 * sbplc's own code; simbple itself is never part of the repository:
 * build.sh fetches nothing, it compiles a checkout you give it.
 *
 * It replaces dyn_params.m (CoreFoundation), os_support.m (Foundation),
 * verify.c and the libsandbox calls. The "container metadata" file is a
 * text file of lines "P KEY=VALUE" (a parameter) and "E KEY" (a true
 * entitlement).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>

#include <scheme_interpreter/scheme-private.h>
#include <misc/scheme_support.h>
#include <sb/dyn_params.h>
#include <sb/verify.h>

static pointer read_alist(scheme *sc, const char *filename, char kind) {
  pointer out = sc->NIL;
  FILE *f = fopen(filename, "r");
  if (!f)
    return out;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (line[0] != kind || line[1] != ' ')
      continue;
    char *key = line + 2;
    pointer value = sc->T;
    if (kind == 'P') {
      char *eq = strchr(key, '=');
      if (!eq)
        continue;
      *eq = 0;
      value = mk_string(sc, eq + 1);
    }
    out = cons(sc, cons(sc, mk_string(sc, key), value), out);
  }
  fclose(f);
  return out;
}

void register_params(scheme *sc, const char *filename) {
  scheme_support.register_object(sc, "*params*", read_alist(sc, filename, 'P'));
}

void register_entitlements(scheme *sc, const char *filename) {
  scheme_support.register_object(sc, "*entitlements*", read_alist(sc, filename, 'E'));
}

void load_additional_sandbox_snippets(scheme *sc, const char *filename) {}

int validate_container_file(const char *filename) { return 0; }

struct data_buffer *extract_compiled_profile(const char *filename) { return NULL; }

char *macos_version() { return strdup("10.15.0"); }

enum verification_result sb_verify(const char *output, const char *container_metadata) {
  return VERIFICATION_SUCCESSFUL;
}

/* BSD's strlcat, which glibc lacks. */
size_t strlcat(char *dst, const char *src, size_t size) {
  size_t d = strnlen(dst, size), s = strlen(src);
  if (d == size)
    return size + s;
  size_t n = s < size - d - 1 ? s : size - d - 1;
  memcpy(dst + d, src, n);
  dst[d + n] = 0;
  return d + s;
}
