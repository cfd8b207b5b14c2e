"""The association map: associates, places and groups around each subject, and the dated, sourced links between them."""
