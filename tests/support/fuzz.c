/* SPDX-License-Identifier: Apache-2.0 */
/* Loading of a fuzz test's committed corpus (see fuzz.h). */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#ifndef MCSEC_FUZZ_CORPUS_DIR
#error "MCSEC_FUZZ_CORPUS_DIR must name tests/fuzz/corpus"
#endif

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct fuzz_file *)a)->name, ((const struct fuzz_file *)b)->name);
}

static uint8_t *read_file(const char *path, size_t max_len, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(max_len + 1);
    if (f == NULL || buf == NULL) {
        if (f != NULL)
            fclose(f);
        free(buf);
        return NULL;
    }
    *len = fread(buf, 1, max_len, f);
    fclose(f);
    return buf;
}

void fuzz_corpus_load(struct fuzz_corpus *c, const char *name, size_t max_len)
{
    char dir[2048], path[4096];
    const char *env = getenv("MCSEC_FUZZ_CORPUS");
    snprintf(dir, sizeof dir, "%s/%s", env != NULL ? env : MCSEC_FUZZ_CORPUS_DIR, name);
    c->files = NULL;
    c->n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "corpus folder %s not found\n", dir);
        CHECK(d != NULL);
        return;
    }
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        if (c->n == cap) {
            cap = cap ? 2 * cap : 32;
            c->files = realloc(c->files, cap * sizeof *c->files);
            if (c->files == NULL)
                abort();
        }
        struct fuzz_file *f = &c->files[c->n];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        f->data = read_file(path, max_len, &f->len);
        f->name = strdup(e->d_name);
        CHECK(f->data != NULL && f->name != NULL);
        if (f->data == NULL || f->name == NULL) {
            free(f->data);
            free(f->name);
            continue;
        }
        c->n++;
    }
    closedir(d);
    qsort(c->files, c->n, sizeof *c->files, by_name);
    if (c->n == 0)
        fprintf(stderr, "corpus folder %s is empty\n", dir);
    CHECK(c->n > 0);
}

void fuzz_corpus_free(struct fuzz_corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->files[i].data);
        free(c->files[i].name);
    }
    free(c->files);
    c->files = NULL;
    c->n = 0;
}
