"""What a test process reads about a server or worker process: its anonymous memory, and the
peak of it while something runs (sampled from a thread)."""
import threading


def rss_anon(pid):
    """RssAnon of pid in kB (0 if the line is missing)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """The highest RssAnon of a process while it is sampled (every 10 ms, in a thread): the
    memory a task kept is seen even if it is released before the client has read its answer
    (on a loaded machine it can be)."""
    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, rss_anon(pid), threading.Event()
        self.th = threading.Thread(target=self.run, daemon=True)
        self.th.start()

    def run(self):
        while not self.done.wait(0.01):
            self.peak = max(self.peak, rss_anon(self.pid))

    def stop(self):
        self.done.set()
        self.th.join()
        return self.peak
