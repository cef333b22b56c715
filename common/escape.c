/* SPDX-License-Identifier: MIT */
#include "escape.h"

#include <stdio.h>
#include <string.h>

char *escape_text(char *out, size_t out_size, const char *in, size_t max_chars)
{
        static const char ellipsis[] = "…";
        size_t o = 0, i;

        for (i = 0; in[i] && i < max_chars; i++) {
                unsigned char c = (unsigned char)in[i];
                char piece[5];
                size_t n;

                if (c == '\n')
                        n = (size_t)snprintf(piece, sizeof(piece), "\\n");
                else if (c == '\t')
                        n = (size_t)snprintf(piece, sizeof(piece), "\\t");
                else if (c == '\\')
                        n = (size_t)snprintf(piece, sizeof(piece), "\\\\");
                else if (c < 0x20 || c == 0x7f)
                        n = (size_t)snprintf(piece, sizeof(piece), "\\x%02x", c);
                else {
                        piece[0] = (char)c;
                        n = 1;
                }
                /* room for this piece, the ellipsis and the terminator */
                if (o + n + sizeof(ellipsis) > out_size)
                        break;
                memcpy(out + o, piece, n);
                o += n;
        }
        /* cut inside a UTF-8 character (the next byte continues it): the
         * whole character goes */
        if (in[i] && ((unsigned char)in[i] & 0xc0) == 0x80) {
                while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
                        o--;
                if (o > 0)
                        o--;
        }
        if (in[i] && o + sizeof(ellipsis) <= out_size) {
                memcpy(out + o, ellipsis, sizeof(ellipsis));
                return out;
        }
        out[o] = '\0';
        return out;
}
