/* SPDX-License-Identifier: MIT */
#include "routines.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/log.h"

/* Room for "path:line: " and the longest message, which may quote a
 * whole line (at most inih's 200 bytes). */
#define ROUTINES_ERROR_MAX 1024

static int is_profile_file(const struct dirent *d)
{
        size_t len = strlen(d->d_name);

        /* Hidden files are editors' and package managers' leftovers. */
        return d->d_name[0] != '.' && len > 4 && strcmp(d->d_name + len - 4, ".ini") == 0;
}

/* strcmp() rather than alphasort(): the order must not depend on the
 * locale, so that which file wins is the same everywhere. */
static int compare_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int compare_ids(const void *a, const void *b)
{
        const struct profile *const *pa = a, *const *pb = b;

        return strcmp((*pa)->id, (*pb)->id);
}

static int compare_id_with_item(const void *id, const void *item)
{
        const struct profile *const *p = item;

        return strcmp(id, (*p)->id);
}

static char *path_join(const char *dir, const char *name)
{
        size_t dir_len = strlen(dir), size;
        char *path;

        /* "dir/" + "x.ini" must not read "dir//x.ini" in messages. */
        while (dir_len > 1 && dir[dir_len - 1] == '/')
                dir_len--;
        size = dir_len + 1 + strlen(name) + 1;
        path = malloc(size);
        if (path)
                snprintf(path, size, "%.*s/%s", (int)dir_len, dir, name);
        return path;
}

/* Takes p, replacing a routine of the same id loaded from an earlier
 * directory. On failure p is still the caller's. */
static int set_put(struct routines *set, struct profile *p, const char *path)
{
        struct profile **items;

        for (size_t i = 0; i < set->count; i++)
                if (strcmp(set->items[i]->id, p->id) == 0) {
                        log_info("Routine %s from %s overrides the one loaded before.", p->id, path);
                        profile_free(set->items[i]);
                        set->items[i] = p;
                        return 0;
                }

        items = realloc(set->items, (set->count + 1) * sizeof(*items));
        if (!items)
                return -ENOMEM;
        set->items = items;
        set->items[set->count++] = p;
        return 0;
}

/* Keeps a skipped file's sentence for ProfileErrors, escaped: a routine
 * file's text may hold anything. */
static int keep_error(struct routines *set, const char *error)
{
        char escaped[4 * ROUTINES_ERROR_MAX + 8];
        char **errors = realloc(set->errors, (set->n_errors + 1) * sizeof(*errors));

        if (!errors)
                return -ENOMEM;
        set->errors = errors;
        set->errors[set->n_errors] = strdup(escape_text(escaped, sizeof(escaped), error,
                                                        ROUTINES_ERROR_MAX));
        if (!set->errors[set->n_errors])
                return -ENOMEM;
        set->n_errors++;
        return 0;
}

/* A bad file is logged and skipped (0); only running out of memory fails. */
static int load_file(struct routines *set, const char *dir, const char *name)
{
        char error[ROUTINES_ERROR_MAX];
        struct profile *p;
        char *path;
        int r;

        path = path_join(dir, name);
        if (!path)
                return log_error_errno(ENOMEM, "Cannot load routine %s/%s: %m", dir, name);

        r = profile_load_file(path, &set->envelopes, &p, error, sizeof(error));
        if (r < 0) {
                log_error("%s", error);
                if (r != -ENOMEM)
                        r = keep_error(set, error);
                goto finish;
        }
        log_debug("Loaded routine %s from %s (%u step%s).", p->id, path, p->n_steps,
                  p->n_steps == 1 ? "" : "s");

        r = set_put(set, p, path);
        if (r < 0) {
                profile_free(p);
                log_error_errno(r, "Cannot keep routine %s: %m", path);
        }
finish:
        free(path);
        return r;
}

static int load_dir(struct routines *set, const char *dir)
{
        struct dirent **entries;
        int n, r = 0;

        n = scandir(dir, &entries, is_profile_file, compare_names);
        if (n < 0) {
                if (errno == ENOENT) {
                        log_debug("Routine directory %s does not exist; skipped.", dir);
                        return 0;
                }
                if (errno == ENOMEM)
                        return log_error_errno(ENOMEM, "Cannot list routine directory %s: %m", dir);
                log_error_errno(errno, "Cannot list routine directory %s: %m; its routines are skipped.", dir);
                return 0;
        }

        for (int i = 0; i < n; i++) {
                if (r >= 0)
                        r = load_file(set, dir, entries[i]->d_name);
                free(entries[i]);
        }
        free(entries);
        return r;
}

/* A missing muscles.conf is skipped (0), a bad one logged and skipped;
 * only running out of memory fails. */
static int load_envelopes(struct routines *set, const char *dir)
{
        struct envelopes *envelopes = &set->envelopes;
        char error[ROUTINES_ERROR_MAX];
        char *path;
        int r;

        path = path_join(dir, ENVELOPES_FILE_NAME);
        if (!path)
                return log_error_errno(ENOMEM, "Cannot load %s/%s: %m", dir, ENVELOPES_FILE_NAME);

        r = envelopes_load_file(envelopes, path, error, sizeof(error));
        if (r == -ENOENT || r == -ENOTDIR) {
                /* Optional; a directory that is not one is load_dir()'s to report. */
                log_debug("%s does not exist; skipped.", path);
                r = 0;
        } else if (r < 0) {
                log_error("%s", error);
                if (r != -ENOMEM)
                        r = keep_error(set, error);
        } else
                log_debug("Loaded muscle envelopes from %s.", path);

        free(path);
        return r;
}

int routines_load(struct routines *set, const char *const *dirs, size_t n_dirs)
{
        struct routines loaded = { 0 };

        /* Every routine is checked against the envelopes of all the
         * directories, so that an admin's narrower envelope also holds
         * for the shipped routines. */
        for (size_t i = 0; i < n_dirs; i++) {
                int r = load_envelopes(&loaded, dirs[i]);

                if (r < 0) {
                        routines_clear(&loaded);
                        return r;
                }
        }

        for (size_t i = 0; i < n_dirs; i++) {
                int r = load_dir(&loaded, dirs[i]);

                if (r < 0) {
                        routines_clear(&loaded);
                        return r;
                }
        }
        if (loaded.count > 0)
                qsort(loaded.items, loaded.count, sizeof(*loaded.items), compare_ids);

        routines_clear(set);
        *set = loaded;
        return (int)set->count;
}

const struct profile *routines_find(const struct routines *set, const char *id)
{
        struct profile **found;

        if (set->count == 0)
                return NULL;
        found = bsearch(id, set->items, set->count, sizeof(*set->items), compare_id_with_item);
        return found ? *found : NULL;
}

void routines_clear(struct routines *set)
{
        for (size_t i = 0; i < set->count; i++)
                profile_free(set->items[i]);
        free(set->items);
        for (size_t i = 0; i < set->n_errors; i++)
                free(set->errors[i]);
        free(set->errors);
        *set = (struct routines){ 0 };
}
