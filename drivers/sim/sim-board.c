/* SPDX-License-Identifier: MIT */
#include "sim-board.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIM_BOARD_MAGIC 0x50435342u /* "PCSB" */

int sim_board_open(struct sim_board *board, const char *path)
{
        struct sim_board_regs *regs;
        struct stat st;
        int fd, r = 0;

        board->regs = NULL;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (!S_ISREG(st.st_mode))
                r = -EBADF;
        else if (st.st_size != 0 && st.st_size != (off_t)sizeof(*regs))
                r = -EBADMSG; /* not a board file of this version */
        else if (st.st_size == 0 && ftruncate(fd, sizeof(*regs)) < 0)
                r = -errno;
        if (r < 0) {
                close(fd);
                return r;
        }
        regs = mmap(NULL, sizeof(*regs), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        r = regs == MAP_FAILED ? -errno : 0;
        close(fd);
        if (r < 0)
                return r;
        if (regs->magic != SIM_BOARD_MAGIC) {
                /* a new file reads as zeros: every output off */
                if (regs->magic != 0 || regs->size != 0) {
                        munmap(regs, sizeof(*regs));
                        return -EBADMSG;
                }
                regs->magic = SIM_BOARD_MAGIC;
                regs->size = sizeof(*regs);
        }
        board->regs = regs;
        return 0;
}

void sim_board_close(struct sim_board *board)
{
        if (board->regs)
                munmap(board->regs, sizeof(*board->regs));
        board->regs = NULL;
}

bool sim_board_motor_enabled(const struct sim_board *board, uint64_t now_ns)
{
        return atomic_load(&board->regs->enable) &&
               now_ns < atomic_load(&board->regs->enable_deadline_ns);
}
