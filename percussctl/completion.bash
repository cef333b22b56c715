# bash completion for percussctl                          -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Completes the commands, the options, and the routine ids after show and
# start, asked from the same percussd the command line talks to.

_percussctl()
{
    local cur prev words cword split
    _init_completion -s || return

    local commands='status watch list show start stop pause resume next
                    intensity history race clear-race clear-fault reload calibrate calibration'
    local options='--system --user --session-bus --address= --json --clear
                   --help --version'

    case $prev in
        --address)
            return
            ;;
    esac
    $split && return

    # the bus options typed so far, and the command with its arguments
    local -a bus=()
    local command='' i n_args=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --system | --user | --session-bus | --address=*)
                bus+=("${words[i]}")
                ;;
            --address)
                bus+=("--address=${words[i + 1]}")
                ((i++))
                ;;
            -*) ;;
            *)
                if [[ -z $command ]]; then
                    command=${words[i]}
                else
                    ((n_args++))
                fi
                ;;
        esac
    done

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
        return
    fi

    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        return
    fi

    ((n_args == 0)) || return
    case $command in
        show | start)
            local ids
            ids=$("${words[0]}" "${bus[@]}" --list-ids 2>/dev/null)
            COMPREPLY=($(compgen -W "$ids" -- "$cur"))
            ;;
        intensity)
            COMPREPLY=($(compgen -W '1 2 3 4 5' -- "$cur"))
            ;;
        race)
            COMPREPLY=($(compgen -W 'now today yesterday' -- "$cur"))
            ;;
    esac
} &&
    complete -F _percussctl percussctl
