/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target's corpus without libFuzzer, in the ordinary test
 * builds (plain and ASan+UBSan): every file given, or every file in every
 * directory given, goes through LLVMFuzzerTestOneInput once. What a fuzzer
 * once found is kept in the corpus, so it stays a regression test. TAP.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned tested;

static int replay_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        uint8_t *data = NULL;
        size_t size = 0;
        long length;

        if (!f || fseek(f, 0, SEEK_END) < 0 || (length = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                if (f)
                        fclose(f);
                return -errno;
        }
        size = (size_t)length;
        data = malloc(size ? size : 1);
        if (!data || fread(data, 1, size, f) != size) {
                fprintf(stderr, "%s: could not read %zu bytes\n", path, size);
                free(data);
                fclose(f);
                return -EIO;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        printf("ok %u - %s\n", ++tested, path);
        return 0;
}

static int compare_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay(const char *path)
{
        struct dirent **entries;
        struct stat st;
        int n, r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        if (!S_ISDIR(st.st_mode))
                return replay_file(path);
        n = scandir(path, &entries, NULL, compare_names);
        if (n < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                char child[4096];

                if (entries[i]->d_name[0] != '.' && r == 0) {
                        snprintf(child, sizeof(child), "%s/%s", path, entries[i]->d_name);
                        r = replay_file(child);
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

int main(int argc, char **argv)
{
        bool failed = false;

        LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc && !failed; i++)
                if (replay(argv[i]) < 0) {
                        printf("not ok %u - %s\n", ++tested, argv[i]);
                        failed = true;
                }
        printf("1..%u\n", tested);
        return failed || tested == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
