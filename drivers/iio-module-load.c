/* SPDX-License-Identifier: MIT */
#include "iio-module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "config.h"

/* never closed: the drivers opened from it point into it */
static struct {
        const struct iio_module *table;
        char path[PATH_MAX];
} loaded;

static const char *dl_reason(void)
{
        const char *e = dlerror();

        return e ? e : "no reason given";
}

int iio_module_load(const char *dir, const char *key, const struct iio_module **ret,
                    char *error, size_t error_size)
{
        char path[PATH_MAX];
        const struct iio_module *table;
        void *handle;

        if (loaded.table) {
                *ret = loaded.table;
                return 0;
        }
        if (!dir)
                dir = MODULE_DIR;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, IIO_MODULE_FILE) >= sizeof(path)) {
                snprintf(error, error_size, "%s: the IIO drivers' module directory %s is too long",
                         key, dir);
                return -ENAMETOOLONG;
        }
        /* RTLD_NOW: every symbol bound here, at start-up, none later by a
         * lazy binding on the control thread */
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
                snprintf(error, error_size, "%s: cannot load the IIO drivers' module %s: %s", key,
                         path, dl_reason());
                return -ELIBACC;
        }
        table = dlsym(handle, IIO_MODULE_SYMBOL);
        if (!table) {
                snprintf(error, error_size, "%s: %s is not percussd's IIO drivers' module: %s",
                         key, path, dl_reason());
                dlclose(handle);
                return -ELIBBAD;
        }
        if (table->version != IIO_MODULE_VERSION || table->config_size != sizeof(struct hw_config) ||
            table->gun_size != sizeof(struct gun)) {
                snprintf(error, error_size, "%s: %s is version %u of the IIO drivers' module "
                         "(configuration %zu bytes, gun %zu), this percussd needs version %u "
                         "(%zu, %zu): install the module built with this percussd", key, path,
                         table->version, table->config_size, table->gun_size, IIO_MODULE_VERSION,
                         sizeof(struct hw_config), sizeof(struct gun));
                dlclose(handle);
                return -ELIBBAD;
        }
        loaded.table = table;
        snprintf(loaded.path, sizeof(loaded.path), "%s", path);
        *ret = table;
        return 0;
}

const char *iio_module_path(void)
{
        return loaded.table ? loaded.path : NULL;
}
