/* SPDX-License-Identifier: MIT */
#include "memory-lock.h"

#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "drivers/iio-module.h"

/* The loadable segments of the program and of the IIO drivers' module
 * (when loaded: its drivers' reads run on the control thread), populated
 * and locked; the other shared objects are left to MCL_ONFAULT. */
static int lock_ours(struct dl_phdr_info *info, size_t size, void *userdata)
{
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        const char *module = iio_module_path();
        int *r = userdata;

        (void)size;
        if (info->dlpi_name[0] != '\0' && !(module && strcmp(info->dlpi_name, module) == 0))
                return 0;
        for (unsigned i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                uintptr_t start, end;

                if (ph->p_type != PT_LOAD)
                        continue;
                start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
                end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
                if (mlock((const void *)start, end - start) < 0 && *r == 0)
                        *r = -errno;
        }
        return 0;
}

int memory_lock(void)
{
        int r = 0;

        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
                return -errno;
        dl_iterate_phdr(lock_ours, &r);
        return r;
}
