/* SPDX-License-Identifier: MIT */
#include "memory-lock.h"

#include <errno.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

/* The program's loadable segments, populated and locked; the shared
 * objects (named) are left to MCL_ONFAULT. */
static int lock_program(struct dl_phdr_info *info, size_t size, void *userdata)
{
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        int *r = userdata;

        (void)size;
        if (info->dlpi_name[0] != '\0')
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
        return 1; /* the program is the first object: done */
}

int memory_lock(void)
{
        int r = 0;

        if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0)
                return -errno;
        dl_iterate_phdr(lock_program, &r);
        return r;
}
