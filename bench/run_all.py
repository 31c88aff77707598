"""`make bench`: every benchmark, each printing its table and writing bench/out/*.csv."""

from bench import end_to_end

if __name__ == "__main__":
    end_to_end.main([])
