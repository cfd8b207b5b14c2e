from bench.api import api_vs_form
from bench.harness import EXTRA_MEASURES, main

# G12: the API's submit against the concern form's, in the same run.
EXTRA_MEASURES.append(api_vs_form)
main()
