"""Example submissions (the one `dlgrade demo` grades)."""
