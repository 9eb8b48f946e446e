# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sandbox of every unit this collection writes (the Go service, exporters): one list, so that
a service and an exporter are held to the same bar (systemd-analyze security "OK")."""

from __future__ import annotations

DEFAULT_FAMILIES = ("AF_INET", "AF_INET6", "AF_UNIX")
DEFAULT_DENIED = ("@privileged", "@resources")


def hardening_lines(read_write_paths=(), capabilities=(), address_families=DEFAULT_FAMILIES, private_tmp=True,
                    denied_syscalls=DEFAULT_DENIED, syscall_errno=None, protect_home="yes", protect_proc=True):
    """The [Service] lines that confine a network daemon: no new privileges, only `capabilities`,
    a read-only system except `read_write_paths`, no devices, kernel knobs or foreign namespaces,
    only `address_families`, and the system calls of a service without `denied_syscalls` (a denied
    call kills the process, or fails with `syscall_errno`, for example EPERM)."""
    caps = " ".join(capabilities)
    lines = ["NoNewPrivileges=yes",
             "CapabilityBoundingSet=" + caps,
             "AmbientCapabilities=" + caps,
             "ProtectSystem=strict",
             "ProtectHome=" + protect_home]
    if read_write_paths:
        lines.append("ReadWritePaths=" + " ".join(read_write_paths))
    if private_tmp:
        lines.append("PrivateTmp=yes")
    lines += ["PrivateDevices=yes",
              "ProtectKernelTunables=yes",
              "ProtectKernelModules=yes",
              "ProtectKernelLogs=yes",
              "ProtectControlGroups=yes",
              "ProtectClock=yes",
              "ProtectHostname=yes"]
    if protect_proc:
        lines.append("ProtectProc=invisible")
    lines += ["RestrictAddressFamilies=" + " ".join(address_families),
              "RestrictNamespaces=yes",
              "RestrictRealtime=yes",
              "RestrictSUIDSGID=yes",
              "LockPersonality=yes",
              "MemoryDenyWriteExecute=yes",
              "SystemCallArchitectures=native",
              "SystemCallFilter=@system-service",
              "SystemCallFilter=~" + " ".join(denied_syscalls)]
    if syscall_errno:
        lines.append("SystemCallErrorNumber=" + syscall_errno)
    lines.append("UMask=0077")
    return [line for line in lines if line != "SystemCallFilter=~"]
