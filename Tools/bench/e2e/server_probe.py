"""What the e2e tools read from a running prostagma-server and its process: shared by fleet.py, one_agent.py and
waiters.py (imported from this folder)."""
import urllib.request


def call(base, method, path, secret):
    """The body of `method path` sent with the bearer secret."""
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def watchers(base, trigger):
    """`prostagma_watchers{trigger=...}` from /metrics: the long polls waiting on the trigger."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f'prostagma_watchers{{trigger="{trigger}"}}'):
                return int(float(line.split()[-1]))
    return 0


def cpu_ticks(pid):
    """User plus system CPU time of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def status_kib(pid, key):
    """A KiB figure of /proc/PID/status (VmRSS, VmHWM, RssAnon, ...), -1 when absent."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def pct(values, p):
    """The p-th percentile by nearest rank."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
